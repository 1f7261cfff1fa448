// Builds the cache key's canonical form of arbitrary bytes read as an OpenAI
// chat body. Whatever the bytes, the form is the same on a second call, and a
// body's key order does not change it: the same JSON object written with its
// keys reversed, at every depth, has the same form (or none, alike).
#include <boost/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string>

#include "cache/canonical_chat.hpp"
#include "fuzz_support.hpp"

namespace {

namespace json = boost::json;

json::value reversed(const json::value& v) {
  if (v.is_object()) {
    const json::object& o = v.get_object();
    json::object out;
    for (auto it = o.end(); it != o.begin();) {
      --it;
      out.emplace(it->key(), reversed(it->value()));
    }
    return out;
  }
  if (v.is_array()) {
    json::array out;
    for (const auto& x : v.get_array()) out.push_back(reversed(x));
    return out;
  }
  return v;
}

void check(bool ok, const char* what) { llmgw::fuzz::check(ok, "canonical_chat_fuzz", what); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  const auto first = llmgw::cache::canonical_openai_chat(input);
  const auto second = llmgw::cache::canonical_openai_chat(input);
  check(first.has_value() == second.has_value(), "a second call disagrees on whether there is a form");
  if (first) check(*first == *second, "a second call writes another form");

  boost::system::error_code ec;
  const json::value doc = json::parse(input, ec);
  if (ec || !doc.is_object()) return 0;
  const auto as_written = llmgw::cache::canonical_openai_chat(json::serialize(doc));
  const auto keys_reversed = llmgw::cache::canonical_openai_chat(json::serialize(reversed(doc)));
  check(as_written.has_value() == keys_reversed.has_value(), "key order decides whether there is a form");
  if (as_written) check(*as_written == *keys_reversed, "key order changes the form");
  return 0;
}
