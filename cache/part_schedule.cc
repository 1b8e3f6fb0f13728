#include "cache/part_schedule.h"

#include <algorithm>
#include <string>

namespace partfs {

namespace {
// The file size a schedule must reach: the provider's max object size, but at
// most 5 TiB. OBS and OSS allow 48.8 TB, which a doubling schedule capped at
// 5 GB parts cannot reach in 10,000 parts; files past the schedule's end get
// EFBIG, and a larger part_size raises that end.
uint64_t ScheduleTarget(const ProviderProfile& profile) {
  constexpr uint64_t kFiveTiB = 5ull << 40;
  return std::min(profile.max_object_size, kFiveTiB);
}
}  // namespace

PartSchedule::PartSchedule(uint64_t base_part_size, uint32_t parts_per_step, uint64_t max_part_size,
                           uint32_t max_part_count)
    : base_(base_part_size),
      per_step_(parts_per_step == 0 ? kDefaultPartsPerStep : parts_per_step),
      max_part_(max_part_size),
      max_count_(max_part_count) {}

Status PartSchedule::Validate(uint64_t base_part_size, uint32_t parts_per_step,
                              const ProviderProfile& profile) {
  if (base_part_size < profile.min_part_size) {
    return Status::InvalidArgument("part_size " + std::to_string(base_part_size) +
                                   " is below the provider's minimum part size of " +
                                   std::to_string(profile.min_part_size) + " bytes");
  }
  if (base_part_size > profile.max_part_size) {
    return Status::InvalidArgument("part_size " + std::to_string(base_part_size) +
                                   " is above the provider's maximum part size of " +
                                   std::to_string(profile.max_part_size) + " bytes");
  }
  PartSchedule s(base_part_size, parts_per_step, profile.max_part_size, profile.max_part_count);
  if (s.MaxFileSize() < ScheduleTarget(profile)) {
    return Status::InvalidArgument("part_size " + std::to_string(base_part_size) +
                                   " cannot reach " + std::to_string(ScheduleTarget(profile)) +
                                   " bytes in " + std::to_string(profile.max_part_count) +
                                   " parts");
  }
  return Status::OK();
}

uint32_t PartSchedule::PartsPerStepFor(uint64_t base_part_size, const ProviderProfile& profile) {
  for (uint32_t per_step = kDefaultPartsPerStep; per_step >= 100; per_step -= 100) {
    PartSchedule s(base_part_size, per_step, profile.max_part_size, profile.max_part_count);
    if (s.MaxFileSize() >= ScheduleTarget(profile)) return per_step;
  }
  return kDefaultPartsPerStep;  // Validate() reports why this base cannot work
}

uint64_t PartSchedule::PartSize(uint32_t number) const {
  uint32_t step = (number - 1) / per_step_;
  if (step >= 63) return max_part_;
  uint64_t size = base_;
  for (uint32_t i = 0; i < step && size < max_part_; ++i) size *= 2;
  return std::min(size, max_part_);
}

uint64_t PartSchedule::PartStart(uint32_t number) const {
  uint64_t start = 0;
  uint32_t done = 0;  // parts before `number` accounted for so far
  while (done < number - 1) {
    uint32_t in_step = per_step_ - (done % per_step_);
    uint32_t take = std::min(in_step, number - 1 - done);
    start += static_cast<uint64_t>(take) * PartSize(done + 1);
    done += take;
  }
  return start;
}

uint32_t PartSchedule::PartForOffset(uint64_t offset) const {
  uint32_t number = 1;
  uint64_t step_start = 0;
  // Walk whole steps (at most ~10 for real schedules), then divide inside one.
  for (;;) {
    uint64_t size = PartSize(number);
    uint64_t step_bytes = size * per_step_;
    if (offset < step_start + step_bytes) {
      return number + static_cast<uint32_t>((offset - step_start) / size);
    }
    step_start += step_bytes;
    number += per_step_;
  }
}

uint64_t PartSchedule::MaxFileSize() const { return PartStart(max_count_) + PartSize(max_count_); }

}  // namespace partfs
