#include "providers/registry.hpp"

namespace llmgw::providers {

const provider* find_adapter(std::string_view kind) {
  // The adapters are stateless; one static instance of each serves every thread.
  (void)kind;
  return nullptr;
}

}  // namespace llmgw::providers
