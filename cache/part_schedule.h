// PartSchedule: the size of each part of a multipart upload.
//
// Parts 1..parts_per_step have base_part_size bytes; every further step of
// parts_per_step parts doubles the size, capped at the provider's max part
// size. With the defaults (8 MiB, 1000 parts per step) 10,000 parts reach
// ~7.8 TiB, past S3's 5 TiB object limit, while small files keep small parts.
// The schedule's two numbers are stored in the journal, never recomputed.
// Immutable value type, thread-compatible.
#ifndef PARTFS_CACHE_PART_SCHEDULE_H_
#define PARTFS_CACHE_PART_SCHEDULE_H_

#include <cstdint>

#include "base/status.h"
#include "transfer/provider_profile.h"

namespace partfs {

class PartSchedule {
 public:
  static constexpr uint32_t kDefaultPartsPerStep = 1000;

  PartSchedule(uint64_t base_part_size, uint32_t parts_per_step, uint64_t max_part_size,
               uint32_t max_part_count);

  // Checks that base is within the profile's part limits and that
  // max_part_count parts reach the profile's max object size.
  static Status Validate(uint64_t base_part_size, uint32_t parts_per_step,
                         const ProviderProfile& profile);

  // Parts per step for a base size: kDefaultPartsPerStep, or fewer (steps of 100)
  // when the default cannot reach the provider's max object size (5 MiB on S3
  // reaches only 4.88 TiB with 1000 parts per step). Validate() the result.
  static uint32_t PartsPerStepFor(uint64_t base_part_size, const ProviderProfile& profile);

  uint64_t base_part_size() const { return base_; }
  uint32_t parts_per_step() const { return per_step_; }
  uint32_t max_part_count() const { return max_count_; }

  // Size of part `number` (1-based).
  uint64_t PartSize(uint32_t number) const;
  // Byte offset in the file where part `number` starts.
  uint64_t PartStart(uint32_t number) const;
  // The part number holding byte `offset`.
  uint32_t PartForOffset(uint64_t offset) const;
  // Largest file the schedule can hold within max_part_count parts.
  uint64_t MaxFileSize() const;

 private:
  uint64_t base_;
  uint32_t per_step_;
  uint64_t max_part_;
  uint32_t max_count_;
};

}  // namespace partfs

#endif  // PARTFS_CACHE_PART_SCHEDULE_H_
