#include "transfer/sigv4_signer.h"

#include <algorithm>
#include <cctype>
#include <map>

#include "transfer/hashing.h"
#include "transfer/uri_encoding.h"

namespace partfs {

namespace {
std::string Lower(const std::string& s) {
  std::string out = s;
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}
}  // namespace

std::string CanonicalQueryString(const QueryParams& query) {
  std::vector<std::pair<std::string, std::string>> encoded;
  encoded.reserve(query.size());
  for (const auto& [name, value] : query) {
    encoded.emplace_back(UriEncode(name, false), UriEncode(value, false));
  }
  std::sort(encoded.begin(), encoded.end());
  std::string out;
  for (const auto& [name, value] : encoded) {
    if (!out.empty()) out.push_back('&');
    out += name;
    out.push_back('=');
    out += value;
  }
  return out;
}

std::string CanonicalHeaderValue(const std::string& value) {
  std::string out;
  out.reserve(value.size());
  bool pending_space = false;
  for (char c : value) {
    if (c == ' ' || c == '\t') {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

SigV4Output SignV4(const SigV4Input& in) {
  // Sorted by lower-case name; repeated headers keep their order, joined by ','.
  std::map<std::string, std::string> canonical;
  for (const auto& [name, value] : in.headers) {
    std::string& slot = canonical[Lower(name)];
    if (!slot.empty()) slot.push_back(',');
    slot += CanonicalHeaderValue(value);
  }
  if (!in.session_token.empty() && !canonical.count("x-amz-security-token")) {
    canonical["x-amz-security-token"] = CanonicalHeaderValue(in.session_token);
  }

  SigV4Output out;
  std::string header_block;
  for (const auto& [name, value] : canonical) {
    header_block += name + ":" + value + "\n";
    if (!out.signed_headers.empty()) out.signed_headers.push_back(';');
    out.signed_headers += name;
  }
  out.canonical_request = in.method + "\n" + in.canonical_uri + "\n" +
                          CanonicalQueryString(in.query) + "\n" + header_block + "\n" +
                          out.signed_headers + "\n" + in.payload_hash;

  const std::string date = in.amz_date.substr(0, 8);
  const std::string scope = date + "/" + in.region + "/" + in.service + "/aws4_request";
  out.string_to_sign =
      "AWS4-HMAC-SHA256\n" + in.amz_date + "\n" + scope + "\n" + Sha256Hex(out.canonical_request);

  std::string key = HmacSha256("AWS4" + in.secret_key, date);
  key = HmacSha256(key, in.region);
  key = HmacSha256(key, in.service);
  key = HmacSha256(key, "aws4_request");
  out.signature = HexEncode(HmacSha256(key, out.string_to_sign));
  out.authorization = "AWS4-HMAC-SHA256 Credential=" + in.access_key + "/" + scope +
                      ", SignedHeaders=" + out.signed_headers + ", Signature=" + out.signature;
  return out;
}

}  // namespace partfs
