#include "providers/registry.hpp"

#include "providers/anthropic.hpp"
#include "providers/bedrock.hpp"
#include "providers/gemini.hpp"

namespace llmgw::providers {

const provider* find_adapter(std::string_view kind) {
  // The adapters are stateless; one static instance of each serves every thread.
  if (kind == "anthropic") return &anthropic_provider();
  if (kind == "gemini") return &gemini_provider();
  if (kind == "bedrock") return &bedrock_provider();
  return nullptr;
}

}  // namespace llmgw::providers
