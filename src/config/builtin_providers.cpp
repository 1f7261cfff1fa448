#include "config/builtin_providers.hpp"

#include <stdexcept>
#include <string>
#include <utility>

namespace llmgw {
namespace {

// One row of the built-in vendor table. Environment variables are tried in
// order; the first non-empty one wins.
struct vendor_spec {
  std::string_view name;
  provider_kind kind = provider_kind::openai_compatible;
  std::string_view default_base;  // empty: no default (Azure needs an endpoint)
  std::vector<std::string> key_vars;
  std::vector<std::string> base_vars;
  std::vector<std::string> version_vars;
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
  azure.key_vars = {"AZURE_OPENAI_API_KEY", "AZURE_API_KEY"};
  azure.base_vars = {"AZURE_OPENAI_ENDPOINT", "AZURE_BASE_URL"};
  azure.version_vars = {"OPENAI_API_VERSION", "AZURE_API_VERSION"};
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
  anthropic.version_vars = {"ANTHROPIC_VERSION"};
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
  p.type = p.name;
  p.kind = spec.kind;
  p.models.assign(spec.models.begin(), spec.models.end());
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

}  // namespace llmgw
