#include "routing/vendors.hpp"

#include <boost/url/encode.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>
#include <boost/url/url_view.hpp>

#include <charconv>
#include <stdexcept>

#include "core/path_segment.hpp"

namespace llmgw {
namespace {

// One row of the built-in vendor table. Environment variables are tried in
// order; the first non-empty one wins.
struct vendor_spec {
  std::string_view name;
  provider_kind kind = provider_kind::openai_compatible;
  auth_style auth = auth_style::bearer;
  std::string_view default_base;  // empty: no default (Azure needs an endpoint)
  std::vector<std::string> key_vars;
  std::vector<std::string> base_vars;
  std::vector<std::string> version_vars;
  std::string_view default_version;
  bool needs_key = true;  // false: local servers, enabled by their base URL alone
  std::vector<std::string_view> models;
};

// The common case: <NAME>_API_KEY enables, <NAME>_BASE_URL re-points.
vendor_spec openai_like(std::string_view name, std::string_view default_base, std::vector<std::string_view> models) {
  vendor_spec s;
  s.name = name;
  s.default_base = default_base;
  std::string upper;
  for (char c : name) upper.push_back(static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c));
  s.key_vars = {upper + "_API_KEY"};
  s.base_vars = {upper + "_BASE_URL"};
  s.models = std::move(models);
  return s;
}

std::vector<vendor_spec> make_vendor_table() {
  std::vector<vendor_spec> t;
  t.push_back(openai_like("openai", "https://api.openai.com/v1",
                          {"gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "o3-mini", "o4-mini",
                           "text-embedding-3-small", "text-embedding-3-large"}));

  // Azure: models are the resource's own deployment names, so none are known.
  vendor_spec azure = openai_like("azure", "", {});
  azure.kind = provider_kind::azure;
  azure.auth = auth_style::api_key_header;
  azure.key_vars = {"AZURE_OPENAI_API_KEY", "AZURE_API_KEY"};
  azure.base_vars = {"AZURE_OPENAI_ENDPOINT", "AZURE_BASE_URL"};
  azure.version_vars = {"OPENAI_API_VERSION", "AZURE_API_VERSION"};
  azure.default_version = "2024-10-21";
  t.push_back(std::move(azure));

  t.push_back(
      openai_like("groq", "https://api.groq.com/openai/v1",
                  {"llama-3.1-8b-instant", "llama-3.3-70b-versatile", "openai/gpt-oss-120b", "openai/gpt-oss-20b"}));
  t.push_back(openai_like("mistral", "https://api.mistral.ai/v1",
                          {"mistral-large-latest", "mistral-small-latest", "codestral-latest", "mistral-embed"}));
  t.push_back(openai_like("deepseek", "https://api.deepseek.com/v1", {"deepseek-chat", "deepseek-reasoner"}));
  t.push_back(openai_like(
      "together", "https://api.together.xyz/v1",
      {"meta-llama/Llama-3.3-70B-Instruct-Turbo", "deepseek-ai/DeepSeek-V3", "Qwen/Qwen2.5-72B-Instruct-Turbo"}));
  t.push_back(openai_like(
      "fireworks", "https://api.fireworks.ai/inference/v1",
      {"accounts/fireworks/models/llama-v3p1-8b-instruct", "accounts/fireworks/models/llama-v3p3-70b-instruct"}));
  t.push_back(openai_like("xai", "https://api.x.ai/v1", {"grok-3", "grok-3-mini"}));
  t.push_back(openai_like("openrouter", "https://openrouter.ai/api/v1",
                          {"openai/gpt-4o-mini", "anthropic/claude-3.5-sonnet", "meta-llama/llama-3.3-70b-instruct"}));

  // Local servers need no key and serve whatever is loaded, so no model list
  // is guessed; setting either variable enables them.
  vendor_spec ollama = openai_like("ollama", "http://localhost:11434/v1", {});
  ollama.needs_key = false;
  t.push_back(std::move(ollama));
  vendor_spec vllm = openai_like("vllm", "http://localhost:8000/v1", {});
  vllm.needs_key = false;
  t.push_back(std::move(vllm));

  // ANTHROPIC_BASE_URL is the API root, as in Anthropic's SDKs.
  vendor_spec anthropic = openai_like(
      "anthropic", "https://api.anthropic.com",
      {"claude-3-5-haiku-latest", "claude-3-7-sonnet-latest", "claude-sonnet-4-20250514", "claude-opus-4-20250514"});
  anthropic.kind = provider_kind::anthropic;
  anthropic.auth = auth_style::x_api_key;
  anthropic.version_vars = {"ANTHROPIC_VERSION"};
  anthropic.default_version = "2023-06-01";
  t.push_back(std::move(anthropic));
  // Google's Generative Language API; GEMINI_BASE_URL includes the API version.
  vendor_spec gemini = openai_like("gemini", "https://generativelanguage.googleapis.com/v1beta",
                                   {"gemini-2.0-flash", "gemini-2.5-flash", "gemini-2.5-pro", "text-embedding-004"});
  gemini.kind = provider_kind::gemini;
  gemini.key_vars = {"GEMINI_API_KEY", "GOOGLE_API_KEY"};
  t.push_back(std::move(gemini));
  // Bedrock is enabled by AWS credentials; its host depends on the region
  // (resolve() fills it in). Models are addressed as bedrock/<modelId>.
  vendor_spec bedrock = openai_like("bedrock", "",
                                    {"anthropic.claude-3-haiku-20240307-v1:0",
                                     "anthropic.claude-3-5-sonnet-20240620-v1:0", "meta.llama3-1-8b-instruct-v1:0"});
  bedrock.kind = provider_kind::bedrock;
  bedrock.key_vars = {"AWS_ACCESS_KEY_ID"};
  bedrock.base_vars = {"BEDROCK_BASE_URL", "AWS_ENDPOINT_URL_BEDROCK_RUNTIME"};
  t.push_back(std::move(bedrock));
  return t;
}

const std::vector<vendor_spec>& vendor_table() {
  static const std::vector<vendor_spec> table = make_vendor_table();
  return table;
}

const vendor_spec* find_spec(std::string_view name) {
  for (const auto& spec : vendor_table()) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

// First variable of `vars` that is set and non-empty: {name, value}.
std::optional<std::pair<std::string_view, std::string>> first_set(const std::vector<std::string>& vars,
                                                                  const env_lookup& env) {
  for (const std::string& var : vars) {
    if (auto value = env(var); value && !value->empty()) {
      return std::pair<std::string_view, std::string>{var, std::move(*value)};
    }
  }
  return std::nullopt;
}

// <VENDOR>_BASE_URL over the default. A malformed variable of a vendor
// nobody enabled must not stop the gateway from starting: it keeps its default.
void apply_base_override(provider_config& p, const std::optional<std::pair<std::string_view, std::string>>& base) {
  if (!base) return;
  try {
    set_base_url(p, base->second);
  } catch (const std::invalid_argument& e) {
    if (p.enabled) throw std::invalid_argument(std::string(base->first) + ": " + e.what());
  }
}

provider_config resolve(const vendor_spec& spec, const env_lookup& env) {
  provider_config p;
  p.name = std::string(spec.name);
  p.kind = spec.kind;
  p.auth = spec.auth;
  p.models.assign(spec.models.begin(), spec.models.end());
  p.api_version = std::string(spec.default_version);
  if (auto version = first_set(spec.version_vars, env)) p.api_version = std::move(version->second);

  auto key = first_set(spec.key_vars, env);
  auto base = first_set(spec.base_vars, env);
  if (spec.kind == provider_kind::bedrock) {
    // SigV4 needs the key pair and a region rather than one API key.
    auto secret = first_set({"AWS_SECRET_ACCESS_KEY"}, env);
    if (!secret) key.reset();
    if (key) p.aws_access_key_id = std::move(key->second);
    if (secret) p.aws_secret_access_key = std::move(secret->second);
    if (auto token = first_set({"AWS_SESSION_TOKEN"}, env)) p.aws_session_token = std::move(token->second);
    auto region = first_set({"AWS_REGION", "AWS_DEFAULT_REGION"}, env);
    p.aws_region = region ? std::move(region->second) : std::string("us-east-1");
    p.enabled = key.has_value();
    if (!p.enabled)
      p.disabled_reason = "has no AWS credentials configured (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)";
    set_base_url(p, "https://bedrock-runtime." + p.aws_region + ".amazonaws.com");
    apply_base_override(p, base);
    return p;
  }
  if (key) p.api_key = std::move(key->second);

  if (spec.needs_key) {
    p.enabled = key.has_value();
    if (!p.enabled) p.disabled_reason = "has no API key configured (set " + spec.key_vars.front() + ")";
  } else {
    p.enabled = key.has_value() || base.has_value();
    if (!p.enabled) {
      p.disabled_reason = "is not configured (set " + spec.base_vars.front() + " or " + spec.key_vars.front() + ")";
    }
  }
  if (p.enabled && spec.default_base.empty() && !base) {
    p.enabled = false;
    p.disabled_reason = "has no endpoint configured (set " + spec.base_vars.front() + ")";
  }

  if (!spec.default_base.empty()) set_base_url(p, spec.default_base);
  apply_base_override(p, base);
  return p;
}

std::string auth_header_name(auth_style a) {
  switch (a) {
    case auth_style::bearer:
      return "authorization";
    case auth_style::api_key_header:
      return "api-key";
    case auth_style::x_api_key:
      return "x-api-key";
  }
  return "authorization";
}

}  // namespace

const std::vector<std::string_view>& builtin_vendor_names() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> out;
    for (const auto& spec : vendor_table()) out.push_back(spec.name);
    return out;
  }();
  return names;
}

std::vector<provider_config> builtin_vendors(const env_lookup& env) {
  std::vector<provider_config> out;
  out.reserve(vendor_table().size());
  for (const auto& spec : vendor_table()) out.push_back(resolve(spec, env));
  return out;
}

std::optional<provider_config> builtin_vendor(std::string_view name, const env_lookup& env) {
  if (const vendor_spec* spec = find_spec(name)) return resolve(*spec, env);
  return std::nullopt;
}

bool vendor_needs_api_key(std::string_view type) {
  const vendor_spec* spec = find_spec(type);
  return spec != nullptr && spec->needs_key;
}

void set_base_url(provider_config& p, std::string_view url) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) throw std::invalid_argument("not an absolute URL");
  const boost::urls::url_view u = *parsed;

  const auto scheme = u.scheme_id();
  if (scheme != boost::urls::scheme::http && scheme != boost::urls::scheme::https) {
    throw std::invalid_argument("scheme must be http or https");
  }
  if (u.has_userinfo()) throw std::invalid_argument("credentials in the URL are not supported (use api_key)");
  if (u.has_query() || u.has_fragment()) throw std::invalid_argument("a base URL takes no query or fragment");
  if (u.encoded_host().empty()) throw std::invalid_argument("the URL has no host");

  const bool tls = scheme == boost::urls::scheme::https;
  std::uint16_t port = tls ? 443 : 80;
  if (u.has_port()) {
    const std::string_view digits = u.port();
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (ec != std::errc{} || end != digits.data() + digits.size() || value == 0 || value > 65535) {
      throw std::invalid_argument("invalid port");
    }
    port = static_cast<std::uint16_t>(value);
  }

  std::string host;
  std::string host_for_header;
  if (u.host_type() == boost::urls::host_type::ipv6) {
    host = std::string(u.encoded_host_address());
    host_for_header = "[" + host + "]";
  } else {
    host = std::string(u.encoded_host());
    host_for_header = host;
  }

  std::string prefix(u.encoded_path());
  // Boost.URL 1.81 reads "host:12ab/v1" as port 12 and path "ab/v1".
  if (!prefix.empty() && prefix.front() != '/') throw std::invalid_argument("invalid port");
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();

  p.base_url = std::string(url);
  p.scheme = tls ? "https" : "http";
  p.host = std::move(host);
  p.port = port;
  p.tls = tls;
  p.path_prefix = std::move(prefix);
  p.host_header = (port == (tls ? 443 : 80)) ? host_for_header : host_for_header + ":" + std::to_string(port);
}

provider_config make_openai_compatible(std::string name, std::string_view base_url, std::string api_key,
                                       std::vector<std::string> models) {
  provider_config p;
  p.name = std::move(name);
  p.kind = provider_kind::openai_compatible;
  p.enabled = true;
  p.api_key = std::move(api_key);
  p.auth = auth_style::bearer;
  p.models = std::move(models);
  set_base_url(p, base_url);
  return p;
}

std::optional<upstream_target> make_target(const provider_config& p, endpoint e, std::string_view vendor_model) {
  upstream_target t;
  t.host = p.host;
  t.port = p.port;
  t.tls = p.tls;
  t.host_header = p.host_header;
  if (!p.api_key.empty()) {
    t.auth_header_name = auth_header_name(p.auth);
    t.auth_header_value = p.auth == auth_style::bearer ? "Bearer " + p.api_key : p.api_key;
  }

  switch (p.kind) {
    case provider_kind::openai_compatible:
      t.target = p.path_prefix;
      switch (e) {
        case endpoint::chat_completions:
          t.target += "/chat/completions";
          break;
        case endpoint::embeddings:
          t.target += "/embeddings";
          break;
        case endpoint::models:
          t.target += "/models";
          break;
      }
      return t;

    case provider_kind::azure: {
      // The deployment name is a path segment: encode everything but the
      // unreserved characters so a stray '/' or '?' cannot change the URL.
      // "." and ".." are unreserved, so they are refused instead (the router
      // answers such models with a 400 before they get here).
      if (e != endpoint::models && !usable_in_path(vendor_model)) return std::nullopt;
      const std::string deployment = boost::urls::encode(vendor_model, boost::urls::unreserved_chars);
      const std::string version = boost::urls::encode(p.api_version, boost::urls::unreserved_chars);
      t.target = p.path_prefix;
      switch (e) {
        case endpoint::chat_completions:
          t.target += "/openai/deployments/" + deployment + "/chat/completions";
          break;
        case endpoint::embeddings:
          t.target += "/openai/deployments/" + deployment + "/embeddings";
          break;
        case endpoint::models:
          t.target += "/openai/models";
          break;
      }
      t.target += "?api-version=" + version;
      return t;
    }

    case provider_kind::anthropic:
      switch (e) {
        case endpoint::chat_completions:
          t.target = p.path_prefix + "/v1/messages";
          break;
        case endpoint::models:
          t.target = p.path_prefix + "/v1/models";
          break;
        case endpoint::embeddings:
          return std::nullopt;
      }
      t.extra_headers.emplace_back("anthropic-version", p.api_version.empty() ? "2023-06-01" : p.api_version);
      return t;

    case provider_kind::gemini:
    case provider_kind::bedrock:
      // Their targets depend on the model and on streaming: the adapter
      // builds them (providers/gemini.cpp, providers/bedrock.cpp).
      return std::nullopt;
  }
  return std::nullopt;
}

}  // namespace llmgw
