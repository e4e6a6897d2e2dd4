#include <vector>

#include "ops/elementwise/elementwise.h"
#include "ops/registry.h"

namespace wrun::ops {

std::span<const OpSchema> elementwise_schemas() {
  static const std::vector<OpSchema> all = [] {
    std::vector<OpSchema> v;
    for (auto part : {elementwise::binary_schemas(), elementwise::unary_schemas(),
                      elementwise::variadic_schemas(), elementwise::select_schemas(),
                      elementwise::activation_schemas(), elementwise::trig_schemas(),
                      elementwise::misc_unary_schemas(), elementwise::mod_schemas(),
                      elementwise::clip_schemas(), elementwise::cast_like_schemas()})
      v.insert(v.end(), part.begin(), part.end());
    return v;
  }();
  return all;
}

}  // namespace wrun::ops
