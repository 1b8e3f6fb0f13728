// `partfs BUCKET[:/prefix] MOUNTPOINT ...`: checks everything that can fail
// (options, endpoint, credentials, bucket, cache directory) while errors still
// reach the terminal, then mounts and serves until unmounted or signalled.
#include "fs/fuse_ops.h"  // first: defines FUSE_USE_VERSION

#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "base/logger.h"
#include "base/metrics.h"
#include "base/mutex.h"
#include "cache/cache_layout.h"
#include "cache/orphan_gc.h"
#include "cache/write_cache.h"
#include "fs/bucket_probe.h"
#include "fs/cli_commands.h"
#include "fs/daemon.h"
#include "fs/filesystem.h"
#include "fs/metrics_endpoint.h"
#include "fs/metrics_snapshot_file.h"
#include "fs/mount_options.h"
#include "fs/read_ahead_pool.h"
#include "fs/status_format.h"
#include "transfer/s3_client.h"

namespace partfs {

namespace {

// How long unmount waits for uploads in flight before leaving them to the next mount.
constexpr std::chrono::seconds kShutdownTimeout{60};
constexpr std::chrono::seconds kWritebackShutdownTimeout{600};
constexpr int kMaxFuseThreads = 16;

int Fail(int code, const std::string& message) {
  std::fprintf(stderr, "partfs: %s\n", message.c_str());
  return code;
}

// One quick probe so that a wrong endpoint, credentials or bucket fails at once
// instead of after the full retry budget.
int CheckBucket(const MountConfig& config) {
  S3ClientOptions options = config.ClientOptions(Logger::Quiet());  // no retry chatter
  options.retry.max_attempts = 2;
  options.retry.max_total = std::chrono::milliseconds(5000);
  auto probe = CreateS3Client(options);
  if (!probe.ok()) return Fail(kUsageExitCode, probe.status().message());
  Status status = (*probe)->HeadBucket();
  if (status.ok()) return 0;
  // A HEAD error has no body: a listing names the cause (rejected
  // credentials, another region, missing bucket), one request more only here.
  if (status.http_status() != 0) {
    Status listed = ProbeBucketAccess(config, probe->get());
    if (!listed.ok()) return Fail(kFailureExitCode, listed.message());
  }
  return Fail(kFailureExitCode, DescribeBucketFailure(config, status));
}

// Ends the session loudly when the journal breaks (LMDB panic, full map, EIO
// on commit): every later write would fail, and nothing accepted may be lost.
class JournalWatchdog {
 public:
  // Runs on the thread that runs the session loop: it is the one woken to end it.
  JournalWatchdog(fuse_session* se, WriteCache* cache, Logger* logger)
      : loop_thread_(pthread_self()), thread_([this, se, cache, logger] {
          MutexLock lock(&mu_);
          while (!stop_) {
            Status health = cache->JournalHealth();
            if (!health.ok()) {
              logger->Error("the cache journal is broken (" + health.ToString() +
                            "); partfs stops serving now. Data accepted so far stays in the " +
                            "cache: fix the cache disk and mount again to resume it");
              broken_ = true;
              fuse_session_exit(se);
              // The loop thread sleeps until a signal: libfuse's own SIGTERM
              // handler ends the session as an unmount would.
              pthread_kill(loop_thread_, SIGTERM);
              return;
            }
            cv_.WaitFor(std::chrono::milliseconds(200));
          }
        }) {}
  ~JournalWatchdog() {
    {
      MutexLock lock(&mu_);
      stop_ = true;
      cv_.SignalAll();
    }
    thread_.join();
  }
  bool broken() {
    MutexLock lock(&mu_);
    return broken_;
  }

 private:
  Mutex mu_;
  CondVar cv_{&mu_};
  bool stop_ GUARDED_BY(mu_) = false;
  bool broken_ GUARDED_BY(mu_) = false;
  const pthread_t loop_thread_;
  std::thread thread_;  // last: starts after the members it uses
};

// Runs the session until unmount or SIGINT/SIGTERM/SIGHUP. Returns the exit code.
int Serve(const MountConfig& config, Filesystem* fs, WriteCache* cache, DaemonStarter* daemon,
          Logger* logger) {
  std::vector<std::string> arg_strings = {"partfs", "-o", config.FuseMountOptions()};
  if (config.debug) arg_strings.push_back("-odebug");
  std::vector<char*> argv;
  for (auto& s : arg_strings) argv.push_back(s.data());
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(argv.size()), argv.data());
  // fuse_session_new replaces `args` with a copy it allocated; free it on every path.
  struct ArgsOwner {
    fuse_args* args;
    ~ArgsOwner() { fuse_opt_free_args(args); }
  } args_owner{&args};
  fuse_lowlevel_ops ops;
  FillFuseOps(&ops);
  fuse_session* se = fuse_session_new(&args, &ops, sizeof(ops), fs);
  if (se == nullptr) return Fail(kFailureExitCode, "cannot create the FUSE session");
  int code = kFailureExitCode;
  if (fuse_set_signal_handlers(se) != 0) {
    Fail(kFailureExitCode, "cannot install signal handlers");
  } else if (fuse_session_mount(se, config.mountpoint.c_str()) != 0) {
    Fail(kFailureExitCode,
         "cannot mount on " + config.mountpoint + " (see the fuse: message above)");
    fuse_remove_signal_handlers(se);
  } else {
    if (daemon != nullptr) {
      daemon->Succeeded(config.log_file);
      // stderr now goes to log_file; without one, to syslog (not /dev/null).
      if (config.log_file.empty()) logger->SwitchTo(std::make_unique<SyslogSink>());
    }
    // Where the credentials came from helps an operator; the key itself never shows.
    logger->Info("mounted " + config.bucket + (config.prefix.empty() ? "" : ":/" + config.prefix) +
                 " on " + config.mountpoint + " (" + std::string(config.profile.name) + ", " +
                 config.endpoint + ", credentials from " + config.credentials_source + ")");
    fuse_loop_config* loop = fuse_loop_cfg_create();
    fuse_loop_cfg_set_max_threads(loop, kMaxFuseThreads);
    int ret;
    bool journal_broken;
    {
      JournalWatchdog watchdog(se, cache, logger);
      ret = fuse_session_loop_mt(se, loop);
      journal_broken = watchdog.broken();
    }
    fuse_loop_cfg_destroy(loop);
    fuse_session_unmount(se);
    fuse_remove_signal_handlers(se);
    code = ret < 0 || journal_broken ? kFailureExitCode : 0;
    logger->Info("unmounted " + config.mountpoint);
  }
  fuse_session_destroy(se);
  return code;
}

// gc_on_mount: aborts orphan uploads under the mount's prefix on a thread of its
// own so the mount is not delayed. Uploads the journal tracks (by upload id, or
// by key for a record of this bucket, which a writer may be about to journal) are kept.
std::thread StartGcOnMount(const MountConfig& config, ObjectStore* store, WriteCache* cache,
                           Logger* logger) {
  if (!config.gc_on_mount) return {};
  GcOptions options;
  options.bucket = config.bucket;
  options.prefix = config.prefix;
  options.older_than_seconds = config.gc_on_mount->count();
  return std::thread([options, store, cache, logger, bucket = config.bucket] {
    auto report = AbortOrphanUploads(*store, cache->journal(), options, logger);
    if (!report.ok()) {
      logger->Warn("gc_on_mount: " + report.status().ToString());
      return;
    }
    logger->Info("gc_on_mount: " + std::to_string(report->entries.size()) + " upload(s) under " +
                 bucket + "/" + options.prefix + ": " + std::to_string(report->aborted) +
                 " aborted, " + std::to_string(report->tracked) + " kept (tracked), " +
                 std::to_string(report->tracked_key) + " kept (a journal record has the key), " +
                 std::to_string(report->too_young) + " kept (younger than " +
                 HumanAge(options.older_than_seconds) + "), " + std::to_string(report->failed) +
                 " failed");
  });
}

// Lets uploads in flight finish (bounded), then destroys writers before the cache.
void ShutDown(std::unique_ptr<Filesystem> fs, std::unique_ptr<WriteCache> cache,
              std::thread gc_thread, std::chrono::seconds timeout, Logger* logger) {
  std::promise<void> done;
  std::future<void> finished = done.get_future();
  std::thread worker([&] {
    fs->Shutdown();
    if (gc_thread.joinable()) gc_thread.join();  // it uses the journal
    cache->WaitForRecovery();
    fs.reset();
    cache.reset();
    done.set_value();
  });
  if (finished.wait_for(timeout) != std::future_status::ready) {
    logger->Warn("uploads still in flight after " + std::to_string(timeout.count()) +
                 " s; they resume at the next mount");
    std::fflush(nullptr);
    _exit(0);  // the journal holds everything; destructors would wait on busy threads
  }
  worker.join();
}

// The gauges of the metrics: write-back queue and pending metadata, with the
// age of their oldest entry.
void RefreshGauges(const Filesystem& fs, Metrics* metrics, MetricsFileContent* content) {
  const WritebackQueue::Stats writeback = fs.WritebackStats();
  const WritebackQueue::Stats pending = fs.PendingMetadataStats();
  metrics->writeback_queue.store(writeback.queued + writeback.running);
  metrics->pending_metadata.store(pending.queued + pending.running);
  content->writeback_oldest_ms = writeback.oldest_age.count();
  content->pending_metadata_oldest_ms = pending.oldest_age.count();
}

// After unmount: the totals with every upload done or left to the next mount.
void WriteFinalSnapshot(const std::string& path, Metrics* metrics) {
  metrics->writeback_queue.store(0);
  metrics->pending_metadata.store(0);
  MetricsFileContent content;
  content.pid = getpid();
  content.updated = static_cast<int64_t>(std::time(nullptr));
  content.running = false;
  content.metrics = metrics->Snapshot();
  (void)WriteMetricsFile(path, content);
}

}  // namespace

int RunMountCommand(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto parsed = ParseMountArgs(args, ProcessEnv(), getuid(), getgid());
  if (!parsed.ok()) return Fail(kUsageExitCode, parsed.status().message());
  MountConfig config = std::move(*parsed);
  struct stat st;
  if (stat(config.mountpoint.c_str(), &st) != 0) {
    return Fail(kUsageExitCode, "mount point " + config.mountpoint + ": " + std::strerror(errno));
  }
  if (!S_ISDIR(st.st_mode)) {
    return Fail(kUsageExitCode, "mount point " + config.mountpoint + " is not a directory");
  }
  char resolved[PATH_MAX];
  if (realpath(config.mountpoint.c_str(), resolved) != nullptr) config.mountpoint = resolved;

  DaemonStarter daemon;
  if (!config.foreground) {
    int parent_code = daemon.Fork();
    if (parent_code >= 0) return parent_code;  // the parent: the child reported
  }
  Logger logger(2, config.log_level);
  if (int code = CheckBucket(config); code != 0) return code;
  // Outlives everything that counts into it (the store, the cache, the endpoint).
  Metrics metrics;
  std::unique_ptr<MetricsEndpoint> metrics_endpoint;
  if (config.metrics) {
    auto started = MetricsEndpoint::Start(*config.metrics, &metrics);
    if (!started.ok()) return Fail(kFailureExitCode, started.status().message());
    metrics_endpoint = std::move(*started);
  }
  S3ClientOptions client_options = config.ClientOptions(&logger);
  client_options.metrics = &metrics;
  auto store = CreateS3Client(client_options);
  if (!store.ok()) return Fail(kUsageExitCode, store.status().message());
  Clock* const clock = SystemClock();
  CacheOptions cache_options = config.CacheOptionsFor(&logger);
  cache_options.clock = clock;
  cache_options.metrics = &metrics;
  auto cache = WriteCache::Open(cache_options, store->get());
  if (!cache.ok()) {
    if (cache.status().code() == Status::Code::kBusy) {
      return Fail(kFailureExitCode,
                  "cache directory " + config.cache_dir + " is in use by another partfs");
    }
    return Fail(kFailureExitCode, "cannot open cache directory " + config.cache_dir + ": " +
                                      cache.status().message());
  }
  Status recovery = (*cache)->StartRecovery();
  if (!recovery.ok()) return Fail(kFailureExitCode, "recovery: " + recovery.ToString());
  std::thread gc_thread = StartGcOnMount(config, store->get(), cache->get(), &logger);

  FilesystemOptions fs_options;
  fs_options.prefix = config.prefix;
  fs_options.uid = config.uid;
  fs_options.gid = config.gid;
  fs_options.umask = config.umask;
  fs_options.logger = &logger;
  fs_options.clock = clock;
  fs_options.stat_ttl = config.stat_ttl;
  fs_options.listing_attrs = config.listing_attrs;
  // Metadata for stat after a remount; without it stat falls back to HEAD.
  auto attr_store = AttrStore::Open(config.cache_dir + "/attrs", &logger);
  if (attr_store.ok()) {
    fs_options.attr_store = attr_store->get();
  } else {
    logger.Warn("attribute store not available: " + attr_store.status().ToString());
  }
  if (config.writeback_delay) {
    fs_options.writeback_delay = *config.writeback_delay;
    // A queued small file is one PutObject, a round trip of waiting: more
    // of them in flight than part uploads (large files still share the
    // upload pool's upload_threads for their parts).
    fs_options.writeback_threads = std::clamp<uint32_t>(4 * config.upload_threads, 16, 64);
    fs_options.cache_size = config.cache_size;
  }
  // Destroyed after the Filesystem (ShutDown) and before the store its GETs use.
  std::unique_ptr<ReadAheadPool> read_ahead;
  if (config.read_ahead > 0) {
    read_ahead = std::make_unique<ReadAheadPool>(config.ReadAheadConfigFor());
    fs_options.read_ahead = read_ahead.get();
  }
  auto fs = std::make_unique<Filesystem>(fs_options, store->get(), cache->get());
  const std::string metrics_file = CacheLayout(config.cache_dir).MetricsFile();
  auto snapshots = std::make_unique<MetricsSnapshotWriter>(
      metrics_file, &metrics,
      [fs = fs.get()](Metrics* m, MetricsFileContent* content) { RefreshGauges(*fs, m, content); });
  int code = Serve(config, fs.get(), cache->get(), config.foreground ? nullptr : &daemon, &logger);
  snapshots.reset();  // it reads the Filesystem, which ShutDown destroys
  // Write-back mode: unmount completes the queued uploads, which may take long.
  const auto shutdown_timeout =
      config.writeback_delay ? kWritebackShutdownTimeout : kShutdownTimeout;
  ShutDown(std::move(fs), std::move(*cache), std::move(gc_thread), shutdown_timeout, &logger);
  WriteFinalSnapshot(metrics_file, &metrics);
  return code;
}

}  // namespace partfs
