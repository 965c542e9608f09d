#include "lowbit/model.h"

#include <cmath>
#include <stdexcept>

#include "mapped_file.h"

namespace lowbit {

Model::Model(const Hparams& hp, const std::vector<TensorDesc>& tensors) : hp_(hp) {
  std::map<std::string, const TensorDesc*> by_name;
  for (const auto& t : tensors) by_name[t.name] = &t;
  auto get = [&](const std::string& name, bool optional = false) -> Weight {
    auto it = by_name.find(name);
    if (it == by_name.end()) {
      if (optional) return Weight{};
      throw std::runtime_error("tensor " + name + " is missing");
    }
    return bind(*it->second);
  };
  auto expect = [](const Weight& w, int64_t ne0, int64_t rows) {
    if (w.data && (w.ne0 != ne0 || w.rows != rows))
      throw std::runtime_error("tensor " + w.name + " has shape [" + std::to_string(w.ne0) + ", " + std::to_string(w.rows) +
                               "], expected [" + std::to_string(ne0) + ", " + std::to_string(rows) + "]");
  };
  if (hp.n_head <= 0 || hp.n_head_kv <= 0 || hp.n_head % hp.n_head_kv || hp.head_dim <= 0 || hp.rope_dim > hp.head_dim)
    throw std::runtime_error("inconsistent attention hyper-parameters");
  const int64_t q_dim = hp.n_head * hp.head_dim, kv_dim = hp.n_head_kv * hp.head_dim;
  token_embd_ = get("token_embd.weight");
  expect(token_embd_, hp.n_embd, hp.n_vocab);
  output_norm_ = get("output_norm.weight");
  expect(output_norm_, hp.n_embd, 1);
  output_ = get("output.weight", true);
  if (!output_.data) output_ = token_embd_;
  expect(output_, hp.n_embd, hp.n_vocab);
  for (int64_t l = 0; l < hp.n_layer; ++l) {
    const std::string p = "blk." + std::to_string(l) + ".";
    LayerWeights L;
    L.attn_norm = get(p + "attn_norm.weight");
    L.wq = get(p + "attn_q.weight");
    L.wk = get(p + "attn_k.weight");
    L.wv = get(p + "attn_v.weight");
    L.wo = get(p + "attn_output.weight");
    L.ffn_norm = get(p + "ffn_norm.weight");
    L.gate = get(p + "ffn_gate.weight");
    L.up = get(p + "ffn_up.weight");
    L.down = get(p + "ffn_down.weight");
    L.bq = get(p + "attn_q.bias", true);
    L.bk = get(p + "attn_k.bias", true);
    L.bv = get(p + "attn_v.bias", true);
    L.q_norm = get(p + "attn_q_norm.weight", true);
    L.k_norm = get(p + "attn_k_norm.weight", true);
    expect(L.attn_norm, hp.n_embd, 1);
    expect(L.ffn_norm, hp.n_embd, 1);
    expect(L.wq, hp.n_embd, q_dim);
    expect(L.wk, hp.n_embd, kv_dim);
    expect(L.wv, hp.n_embd, kv_dim);
    expect(L.wo, q_dim, hp.n_embd);
    expect(L.gate, hp.n_embd, hp.n_ff);
    expect(L.up, hp.n_embd, hp.n_ff);
    expect(L.down, hp.n_ff, hp.n_embd);
    expect(L.bq, q_dim, 1);
    expect(L.bk, kv_dim, 1);
    expect(L.bv, kv_dim, 1);
    expect(L.q_norm, hp.head_dim, 1);
    expect(L.k_norm, hp.head_dim, 1);
    layers_.push_back(L);
  }
}

Model::~Model() = default;

Weight Model::bind(const TensorDesc& t) {
  const TypeTraits* type = find_type(t.type);
  if (!type) throw std::runtime_error("tensor " + t.name + " has type " + t.type + ", which the engine cannot read");
  if (t.ne.empty() || t.ne.size() > 4) throw std::runtime_error("tensor " + t.name + " has " + std::to_string(t.ne.size()) + " dimensions");
  int64_t rows = 1;
  for (size_t i = 1; i < t.ne.size(); ++i) {
    if (t.ne[i] <= 0 || rows > (int64_t{1} << 40) / t.ne[i]) throw std::runtime_error("tensor " + t.name + " has absurd dimensions");
    rows *= t.ne[i];
  }
  Weight w;
  w.name = t.name;
  w.type = type;
  w.ne0 = t.ne[0];
  w.rows = rows;
  try {
    w.row_bytes = row_size(*type, w.ne0);
  } catch (const std::exception& e) {
    throw std::runtime_error("tensor " + t.name + ": " + e.what());
  }
  if (w.row_bytes * static_cast<uint64_t>(rows) != t.nbytes)
    throw std::runtime_error("tensor " + t.name + ": " + std::to_string(t.nbytes) + " bytes do not match its shape and type");
  auto& file = files_[t.file];
  if (!file) file = std::make_shared<MappedFile>(t.file);
  if (t.offset > file->size() || t.nbytes > file->size() - t.offset)
    throw std::runtime_error("tensor " + t.name + " lies past the end of " + t.file + " (the file is truncated)");
  w.data = file->data() + t.offset;
  all_.push_back(w);
  return w;
}

std::string Model::find_non_finite() const {
  std::vector<float> row;
  for (const auto& w : all_) {
    row.resize(static_cast<size_t>(w.ne0));
    for (int64_t r = 0; r < w.rows; ++r) {
      dequantize_row(*w.type, w.row(r), row.data(), w.ne0);
      for (int64_t i = 0; i < w.ne0; ++i)
        if (!std::isfinite(row[i]))
          return "tensor " + w.name + " has a non-finite weight at row " + std::to_string(r) + ", column " + std::to_string(i);
    }
  }
  return "";
}

}  // namespace lowbit
