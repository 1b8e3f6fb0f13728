// Parsing of S3 XML response bodies and building of XML request bodies
// (pugixml). Parsers return IOError when a body is not
// the expected document, naming the document. ETags come back without quotes.
// Pure functions, thread-safe.
#ifndef PARTFS_TRANSFER_S3_XML_H_
#define PARTFS_TRANSFER_S3_XML_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "transfer/object_store.h"

namespace partfs {

// "2009-10-12T17:50:30.000Z" -> seconds since the epoch; 0 when malformed.
int64_t ParseIso8601(std::string_view text);
// "Wed, 12 Oct 2009 17:50:00 GMT" (RFC 7231 IMF-fixdate) -> seconds; 0 when malformed.
int64_t ParseHttpDate(std::string_view text);

Result<std::string> ParseInitiateMultipartUploadResult(std::string_view xml);
Result<ListObjectsPage> ParseListObjectsV2Result(std::string_view xml);
Result<ListPartsPage> ParseListPartsResult(std::string_view xml);
Result<ListUploadsPage> ParseListMultipartUploadsResult(std::string_view xml);
// CompleteMultipartUploadResult -> ETag.
Result<std::string> ParseCompleteMultipartUploadResult(std::string_view xml);
// CopyObjectResult or CopyPartResult -> ETag.
Result<std::string> ParseCopyResult(std::string_view xml);
// DeleteResult -> keys reported in <Error> elements.
Result<std::vector<std::string>> ParseDeleteResult(std::string_view xml);

std::string BuildCompleteMultipartUploadXml(const std::vector<CompletedPart>& parts);
// Quiet mode: the response lists only the keys that failed.
std::string BuildDeleteObjectsXml(const std::vector<std::string>& keys);

}  // namespace partfs

#endif  // PARTFS_TRANSFER_S3_XML_H_
