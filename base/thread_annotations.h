// Clang thread-safety annotations; no-ops on other compilers.
#ifndef PARTFS_BASE_THREAD_ANNOTATIONS_H_
#define PARTFS_BASE_THREAD_ANNOTATIONS_H_

#if defined(__clang__)
#define PARTFS_TSA(x) __attribute__((x))
#else
#define PARTFS_TSA(x)
#endif

#define CAPABILITY(x) PARTFS_TSA(capability(x))
#define SCOPED_CAPABILITY PARTFS_TSA(scoped_lockable)
#define GUARDED_BY(x) PARTFS_TSA(guarded_by(x))
#define PT_GUARDED_BY(x) PARTFS_TSA(pt_guarded_by(x))
#define EXCLUSIVE_LOCKS_REQUIRED(...) PARTFS_TSA(exclusive_locks_required(__VA_ARGS__))
#define LOCKS_EXCLUDED(...) PARTFS_TSA(locks_excluded(__VA_ARGS__))
#define ACQUIRE(...) PARTFS_TSA(acquire_capability(__VA_ARGS__))
#define RELEASE(...) PARTFS_TSA(release_capability(__VA_ARGS__))
#define NO_THREAD_SAFETY_ANALYSIS PARTFS_TSA(no_thread_safety_analysis)

#endif  // PARTFS_BASE_THREAD_ANNOTATIONS_H_
