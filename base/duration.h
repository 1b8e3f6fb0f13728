// ParseDuration: the command line's "30s", "30m", "24h", "7d" ages (e.g. the
// `partfs gc --older-than` and `-o gc_on_mount=` values) as seconds.
//
// A pure function; thread-safe.
#ifndef PARTFS_BASE_DURATION_H_
#define PARTFS_BASE_DURATION_H_

#include <cstdint>
#include <string_view>

#include "base/status.h"

namespace partfs {

// "30s", "30m", "24h", "7d" (a bare number = seconds) -> seconds. 1 to 12
// digits, no sign, no fraction; anything else is InvalidArgument.
Result<int64_t> ParseDuration(std::string_view text);

}  // namespace partfs

#endif  // PARTFS_BASE_DURATION_H_
