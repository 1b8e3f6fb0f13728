// The local S3 server (Swift + s3api, scripts/s3-server.sh; or Ceph RGW,
// scripts/rgw-server.sh, when the environment names one) as seen by tests.
//
//   SharedS3Server()        the instance every test of the process uses: the one
//                           scripts/test.sh started (env PARTFS_TEST_S3_ENDPOINT,
//                           PARTFS_TEST_S3_LOG), else a private instance started on
//                           first use and stopped at process exit.
//   PrivateS3Server         an instance of the test's own, to stop and restart (an
//                           outage); the data survives Stop()/Start().
//   UniqueBucketName()      a fresh valid bucket name per call.
//   ClientOptions()         S3ClientOptions for an endpoint, with short retries.
//   MakeBucketAndClient()   creates a bucket and returns a client on it.
//   CountUploadPartRequests()  UploadPart requests the server logged for a bucket.
//
// Thread-safety: the free functions are thread-safe; a PrivateS3Server is not
// (one owner thread). Servers run as separate processes bound to 127.0.0.1.
#ifndef PARTFS_TESTS_SUPPORT_S3_TEST_SERVER_H_
#define PARTFS_TESTS_SUPPORT_S3_TEST_SERVER_H_

#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "transfer/object_store.h"
#include "transfer/s3_client.h"

namespace partfs::testing {

// Which server implementation answers: the local Swift (s3api) or Ceph RGW
// (scripts/rgw-server.sh), chosen by PARTFS_TEST_S3_KIND=rgw next to
// PARTFS_TEST_S3_ENDPOINT (PARTFS_TEST_S3_LOG then names RGW's log, whose beast
// access lines the request counters read like Swift's proxy lines).
enum class ServerKind { kSwift, kRgw };

struct S3Endpoint {
  std::string url;  // "http://127.0.0.1:PORT", path-style
  std::string access_key = "test:tester";
  std::string secret_key = "testing";
  std::string region = "us-east-1";
  int port = 0;
  std::string log_file;  // the server's log (DATA_DIR/log/swift.log); "" when unknown
  ServerKind kind = ServerKind::kSwift;
};

// True when the shared server (SharedS3Server) is of `kind`: for the few tests
// that depend on one server's behaviour (they GTEST_SKIP with the reason).
bool TestServerIs(ServerKind kind);

// Never fails silently: if no server can be started, the current test gets a
// failure (ADD_FAILURE) and the returned endpoint refuses connections.
S3Endpoint SharedS3Server();

// Owns one server instance: 5 consecutive free ports (PORT..PORT+4) and a data
// directory under /tmp. The constructor only reserves names; call Start().
// The destructor stops the server and removes the data directory. Should the
// test process die without running it, a watcher process does the same.
class PrivateS3Server {
 public:
  PrivateS3Server();
  ~PrivateS3Server();
  PrivateS3Server(const PrivateS3Server&) = delete;
  PrivateS3Server& operator=(const PrivateS3Server&) = delete;

  // Starts the server (and creates `bucket` when not empty) and waits until it
  // answers, or returns why not. Idempotent; the endpoint never changes after
  // the first successful Start().
  Status Start(const std::string& bucket = "");
  // Stops every server process (an outage); the stored data is kept.
  Status Stop();
  bool running() const { return running_; }

  const S3Endpoint& endpoint() const { return endpoint_; }
  const std::string& data_dir() const { return data_dir_; }

 private:
  void PickPorts();
  Status RunScript(const std::string& args);

  std::string data_dir_;
  S3Endpoint endpoint_;
  bool running_ = false;
  bool ever_started_ = false;
  int watcher_pid_ = -1;
};

// "<prefix>-<pid>-<counter>-<time>", lowercased, at most 63 characters, a valid
// S3 bucket name for any prefix.
std::string UniqueBucketName(std::string_view prefix);

// Path-style options for `bucket` on `endpoint`, S3 profile, and retries short
// enough for tests (a few attempts, milliseconds apart, bounded to seconds).
S3ClientOptions ClientOptions(const S3Endpoint& endpoint, const std::string& bucket);

// Creates `bucket` and returns a client on it; null (and a test failure) on error.
std::unique_ptr<ObjectStore> MakeBucketAndClient(const S3Endpoint& endpoint,
                                                 const std::string& bucket);

// The number of successful UploadPart (and UploadPartCopy) requests for
// `bucket` in the server's log so far: one proxy access line
// "PUT /<bucket>/<key>?...partNumber=N&uploadId=... 200" per request. Waits
// until the log has caught up with requests answered before the call. Returns
// -1 when the endpoint has no log file. Count before and after an operation and
// compare the difference; buckets are unique per test, so usually from zero.
int CountUploadPartRequests(const S3Endpoint& endpoint, const std::string& bucket);

// Every S3 request on `bucket` the server logged so far (any method, any
// status), with the same catch-up wait; -1 without a log file.
int CountBucketRequests(const S3Endpoint& endpoint, const std::string& bucket);

// Successful CopyObject requests on `bucket` (not UploadPartCopy), with the
// same catch-up wait; -1 without a log file.
int CountCopyRequests(const S3Endpoint& endpoint, const std::string& bucket);

// Like CountUploadPartRequests but counts every UploadPart request whatever its
// HTTP status (failed and rejected attempts included).
int CountUploadPartAttempts(const S3Endpoint& endpoint, const std::string& bucket);

}  // namespace partfs::testing

#endif  // PARTFS_TESTS_SUPPORT_S3_TEST_SERVER_H_
