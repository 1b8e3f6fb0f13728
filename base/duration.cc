#include "base/duration.h"

#include <cctype>
#include <string>

namespace partfs {

Result<int64_t> ParseDuration(std::string_view text) {
  if (text.empty()) return Status::InvalidArgument("empty duration");
  int64_t unit = 1;  // a bare number is seconds
  switch (text.back()) {
    case 's':
      unit = 1;
      break;
    case 'm':
      unit = 60;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'd':
      unit = 86400;
      break;
    default:
      if (!std::isdigit(static_cast<unsigned char>(text.back()))) {
        return Status::InvalidArgument("duration '" + std::string(text) +
                                       "' must be a number with s, m, h or d (e.g. 30m, 24h, 7d)");
      }
  }
  if (!std::isdigit(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  if (text.empty() || text.size() > 12) {
    return Status::InvalidArgument("duration needs 1 to 12 digits before its unit");
  }
  int64_t value = 0;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) {
      return Status::InvalidArgument("duration '" + std::string(text) + "' is not a number");
    }
    value = value * 10 + (c - '0');
  }
  return value * unit;
}

}  // namespace partfs
