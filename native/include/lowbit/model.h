// A Llama-family model whose weights stay memory-mapped in their files, in their stored types.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "lowbit/formats.h"

namespace lowbit {

struct Hparams {
  std::string architecture;
  int64_t n_vocab = 0, n_embd = 0, n_ff = 0, n_layer = 0, n_head = 0, n_head_kv = 0, head_dim = 0, rope_dim = 0;
  float rms_eps = 1e-5f;
  float rope_base = 10000.f;
  bool rope_neox = false;
  float rope_freq_scale = 1.f;  // linear scaling: 1 / factor
};

struct TensorDesc {
  std::string name, type, file;
  std::vector<int64_t> ne;
  uint64_t offset = 0, nbytes = 0;
};

// A tensor view: type, shape and a pointer into a mapping.
struct Weight {
  const TypeTraits* type = nullptr;
  int64_t ne0 = 0, rows = 0;  // row width and number of rows
  const uint8_t* data = nullptr;
  size_t row_bytes = 0;
  std::string name;
  const uint8_t* row(int64_t r) const { return data + static_cast<size_t>(r) * row_bytes; }
};

struct LayerWeights {
  Weight attn_norm, wq, wk, wv, wo, ffn_norm, gate, up, down;
  Weight bq, bk, bv, q_norm, k_norm;  // optional: data == nullptr when absent
};

class MappedFile;

class Model {
 public:
  // Maps the files and checks every tensor; throws std::runtime_error naming what is wrong.
  Model(const Hparams& hp, const std::vector<TensorDesc>& tensors);
  ~Model();
  const Hparams& hp() const { return hp_; }
  const Weight& token_embd() const { return token_embd_; }
  const Weight& output_norm() const { return output_norm_; }
  const Weight& output() const { return output_; }  // token_embd when the output is tied
  const std::vector<LayerWeights>& layers() const { return layers_; }
  // Name and flat index of the first non-finite weight, or empty when all are finite.
  std::string find_non_finite() const;

 private:
  Weight bind(const TensorDesc& t);
  Hparams hp_;
  std::map<std::string, std::shared_ptr<MappedFile>> files_;
  std::vector<Weight> all_;
  Weight token_embd_, output_norm_, output_;
  std::vector<LayerWeights> layers_;
};

}  // namespace lowbit
