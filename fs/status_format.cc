#include "fs/status_format.h"

#include <cstdio>

namespace partfs {
namespace {

std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string StateLabel(const FileStatus& f) {
  std::string label(UploadStateName(f.state));
  if (f.in_lost_found) label += "(lost+found)";
  return label;
}

}  // namespace

std::string HumanBytes(uint64_t bytes) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  if (bytes < 1024) return std::to_string(bytes) + " B";
  double value = static_cast<double>(bytes);
  int unit = 0;
  while (value >= 1024 && unit < 5) {
    value /= 1024;
    ++unit;
  }
  char buf[32];
  std::snprintf(buf, sizeof(buf), value < 10 ? "%.1f %s" : "%.0f %s", value, kUnits[unit]);
  return buf;
}

std::string HumanAge(int64_t seconds) {
  if (seconds < 0) seconds = 0;
  char buf[32];
  if (seconds < 60) {
    std::snprintf(buf, sizeof(buf), "%llds", static_cast<long long>(seconds));
  } else if (seconds < 3600) {
    std::snprintf(buf, sizeof(buf), "%lldm%02llds", static_cast<long long>(seconds / 60),
                  static_cast<long long>(seconds % 60));
  } else if (seconds < 86400) {
    std::snprintf(buf, sizeof(buf), "%lldh%02lldm", static_cast<long long>(seconds / 3600),
                  static_cast<long long>(seconds % 3600 / 60));
  } else {
    std::snprintf(buf, sizeof(buf), "%lldd%02lldh", static_cast<long long>(seconds / 86400),
                  static_cast<long long>(seconds % 86400 / 3600));
  }
  return buf;
}

std::string FormatStatusTable(const StatusReport& report) {
  std::string out = "cache " + report.cache_dir + ": " +
                    (report.mount_pid > 0 ? "mounted (pid " + std::to_string(report.mount_pid) + ")"
                                          : std::string("not mounted")) +
                    "\n";
  if (report.files.empty() && report.damaged_records.empty()) {
    return out + "no uploads in flight\n";
  }
  char line[512];
  std::snprintf(line, sizeof(line), "%6s  %-28s %11s %10s %10s %8s  %s\n", "ID", "STATE", "PARTS",
                "UPLOADED", "CACHED", "AGE", "KEY");
  out += line;
  for (const auto& f : report.files) {
    std::string parts = std::to_string(f.parts_uploaded) + "/" + std::to_string(f.parts_total);
    std::snprintf(line, sizeof(line), "%6llu  %-28s %11s %10s %10s %8s  ",
                  static_cast<unsigned long long>(f.file_id), StateLabel(f).c_str(), parts.c_str(),
                  HumanBytes(f.bytes_uploaded).c_str(), HumanBytes(f.bytes_cached).c_str(),
                  HumanAge(f.age_seconds).c_str());
    out += line + f.bucket + "/" + f.key + "\n";
    if (!f.last_error.empty()) out += "        error: " + f.last_error + "\n";
    if (f.retries > 0) {
      out += "        retried " + std::to_string(f.retries) + " time(s)" +
             (f.retry_at > 0 ? ", next at " + std::to_string(f.retry_at) + " (epoch seconds)"
                             : std::string()) +
             "\n";
    }
  }
  for (uint64_t id : report.damaged_records) {
    out += "damaged journal record " + std::to_string(id) +
           ": set aside, not resumed; its part files stay in files/" + std::to_string(id) + "/\n";
  }
  out += std::to_string(report.files.size()) + " file(s); " +
         HumanBytes(report.total_bytes_uploaded) + " uploaded, " +
         HumanBytes(report.total_bytes_cached) + " held in the cache\n";
  return out;
}

std::string FormatStatusJson(const StatusReport& report) {
  std::string out = "{\"cache_dir\":" + JsonString(report.cache_dir) +
                    ",\"mounted\":" + (report.mount_pid > 0 ? "true" : "false") +
                    ",\"mount_pid\":" + std::to_string(report.mount_pid) +
                    ",\"total_bytes_uploaded\":" + std::to_string(report.total_bytes_uploaded) +
                    ",\"total_bytes_cached\":" + std::to_string(report.total_bytes_cached) +
                    ",\"files\":[";
  for (size_t i = 0; i < report.files.size(); ++i) {
    const FileStatus& f = report.files[i];
    if (i > 0) out += ",";
    out += "{\"file_id\":" + std::to_string(f.file_id) + ",\"endpoint\":" + JsonString(f.endpoint) +
           ",\"bucket\":" + JsonString(f.bucket) + ",\"key\":" + JsonString(f.key) +
           ",\"upload_id\":" + JsonString(f.upload_id) +
           ",\"state\":" + JsonString(std::string(UploadStateName(f.state))) +
           ",\"in_lost_found\":" + (f.in_lost_found ? "true" : "false") +
           ",\"size\":" + std::to_string(f.size) +
           ",\"parts_uploaded\":" + std::to_string(f.parts_uploaded) +
           ",\"parts_total\":" + std::to_string(f.parts_total) +
           ",\"bytes_uploaded\":" + std::to_string(f.bytes_uploaded) +
           ",\"bytes_cached\":" + std::to_string(f.bytes_cached) +
           ",\"part_files\":" + std::to_string(f.part_files) +
           ",\"created_at\":" + std::to_string(f.created_at) +
           ",\"updated_at\":" + std::to_string(f.updated_at) +
           ",\"age_seconds\":" + std::to_string(f.age_seconds) +
           ",\"last_error\":" + JsonString(f.last_error) +
           ",\"retries\":" + std::to_string(f.retries) +
           ",\"retry_at\":" + std::to_string(f.retry_at) + "}";
  }
  out += "],\"damaged_records\":[";
  for (size_t i = 0; i < report.damaged_records.size(); ++i) {
    if (i > 0) out += ",";
    out += std::to_string(report.damaged_records[i]);
  }
  return out + "]}\n";
}

}  // namespace partfs
