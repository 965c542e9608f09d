// The GPTQ loop (IST-DASLab/gptq) over ggml blocks.
//
// The reference factors H⁻¹ = UᵀU (U upper) and, column by column, adds to the columns on the right
// e_p·U[p, p+1:] with e_p = (w_p − q_p)/U_pp, w_p being the weight as updated so far. We use the
// equivalent form without an inverse: with R upper and R·Rᵀ = H (a Cholesky factor of H in reverse
// index order), U = R⁻¹, and the value column p is quantized at is its original weight plus
// Σ_{k<p} d_k·R[k][p]/R[p][p], where d_k = w_k − q_k is the original weight minus its code. So the
// loop keeps the original weights, a matrix of targets, and feeds d instead of e through the
// column-scaled R (half the factorisation's work: one Cholesky, no triangular inverse).
//
// Act-order: GGUF blocks are contiguous runs of the input dimension, so a global column permutation
// would scatter a block over the whole loop and its grid could no longer be fitted on updated
// weights in one place. We use a block-respecting act-order instead: whole ggml blocks (32, or the
// 256-element super-block) are ordered by their summed diag(H), and the columns inside a block by
// decreasing diag(H). A block's grid is fitted when its first processed column is reached, and a
// k-quant sub-block's scale is refitted when its first processed column is reached.
//
// K-quant sub-blocks: the super-block (fp16 d/dmin and all sub-block scales) is fitted by the type's
// own quantizer on the current weights when the loop enters it. As the loop then reaches each later
// sub-block, whose weights have since moved by the error feedback of the columns before it, its
// integer scale (and min) are searched again in a small window around the fitted ones, clamped to
// the format's range (6-bit for Q3_K..Q5_K and IQ4_XS, 4-bit for Q2_K, int8 for Q6_K), with d/dmin
// kept, and replaced only when that lowers Σ (w − q)²/U_jj² over the sub-block — the GPTQ (OBS) cost
// of its rounding. Elements still equal to the values of the fit keep the quantizer's own codes,
// which is what makes H = I reproduce the quantizer byte for byte.
#include "lowbit/gptq.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <memory>
#include <numeric>
#include <stdexcept>
#include <string>

#include "codec.h"
#include "lowbit/linalg.h"
#include "lowbit/thread_pool.h"
#include "qep.h"

namespace lowbit {
namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::vector<int64_t> block_act_order(const std::vector<double>& diag, int64_t cols, int64_t bs) {
  const int64_t nb = cols / bs;
  std::vector<double> score(static_cast<size_t>(nb), 0.0);
  for (int64_t j = 0; j < cols; ++j) score[j / bs] += diag[j];
  std::vector<int64_t> blocks(static_cast<size_t>(nb));
  std::iota(blocks.begin(), blocks.end(), 0);
  std::stable_sort(blocks.begin(), blocks.end(), [&](int64_t a, int64_t b) { return score[a] > score[b]; });
  std::vector<int64_t> perm;
  perm.reserve(static_cast<size_t>(cols));
  for (int64_t b : blocks) {
    const size_t first = perm.size();
    for (int64_t i = 0; i < bs; ++i) perm.push_back(b * bs + i);
    std::stable_sort(perm.begin() + first, perm.end(), [&](int64_t x, int64_t y) { return diag[x] > diag[y]; });
  }
  return perm;
}

// What one row remembers about the ggml block it is writing.
struct RowState {
  BlockMap map;
  float fit_w[256];   // the values the block was fitted on
  float fit_q[256];   // their dequantized codes
  bool fit_valid[256];
  bool group_seen[16];
};

}  // namespace

GptqResult gptq_quantize(const TypeTraits& type, const float* W0, int64_t rows, int64_t cols, const double* H0,
                         const GptqOptions& o) {
  const auto t_start = Clock::now();
  const gptq::BlockCodec* codec = gptq::BlockCodec::find(type.type);
  if (!codec) throw std::runtime_error(std::string("GPTQ does not support ") + type.name + " yet");
  const int64_t bs = codec->block_size();
  if (cols % bs != 0) throw std::runtime_error("rows of " + std::to_string(cols) + " are not whole " + type.name + " blocks");
  // a lazy-update block must hold whole ggml blocks, or a whole number of them must hold it
  int64_t B = std::max<int64_t>(1, o.block);
  if (B % bs != 0 && bs % B != 0) B = (B + bs - 1) / bs * bs;
  const int64_t nblocks = cols / bs, group = codec->group_size();
  const size_t block_bytes = codec->block_bytes();
  const double hscale = o.samples > 0 ? 2.0 / static_cast<double>(o.samples) : 1.0;
  std::unique_ptr<ThreadPool> own_pool = o.pool ? nullptr : std::make_unique<ThreadPool>(std::max(1, o.threads));
  ThreadPool& pool = o.pool ? *o.pool : *own_pool;
  GptqResult res;

  // H is used as given (GPTQ is invariant to its scale, the damping being relative to mean(diag H));
  // dead inputs (H_jj = 0) get H_jj = 1 on the (2/n)·H scale and their weights are zeroed. H itself
  // is copied only when act-order permutes it or QEP needs it whole. T holds the weights as zeroed,
  // corrected and permuted here, then the values the loop quantizes at (plus the feedback so far).
  BigVector<float> T(W0, W0 + rows * cols);
  std::vector<double> diag(static_cast<size_t>(cols)), hdiag(static_cast<size_t>(cols));  // (2/n)·H_jj, H_jj
  for (int64_t j = 0; j < cols; ++j) {
    const double h = H0[j * cols + j];
    if (h == 0) {
      hdiag[j] = 1 / hscale;
      diag[j] = 1;
      for (int64_t r = 0; r < rows; ++r) T[r * cols + j] = 0;
      ++res.dead_columns;
    } else {
      hdiag[j] = h;
      diag[j] = h * hscale;
    }
  }
  const double mean_hdiag = std::accumulate(hdiag.begin(), hdiag.end(), 0.0) / static_cast<double>(cols);
  std::vector<float> importance(diag.begin(), diag.end());

  if (o.qep.hdelta) {
    BigVector<double> H(H0, H0 + cols * cols);
    for (int64_t j = 0; j < cols; ++j) H[j * cols + j] = hdiag[j];
    QepOptions q = o.qep;
    res.qep_lambda = gptq::qep_correct(T.data(), rows, cols, H.data(), q, o.damp_step, o.max_tries, &pool);
  }

  std::vector<int64_t> perm(static_cast<size_t>(cols)), pos(static_cast<size_t>(cols));
  std::iota(perm.begin(), perm.end(), 0);
  BigVector<double> Hp;
  std::vector<double> pdiag(hdiag);
  if (o.act_order) {
    perm = block_act_order(diag, cols, bs);
    Hp.resize(static_cast<size_t>(cols * cols));
    for (int64_t p = 0; p < cols; ++p) {
      pdiag[p] = hdiag[perm[p]];
      for (int64_t q = 0; q < cols; ++q) Hp[p * cols + q] = H0[perm[p] * cols + perm[q]];
    }
    BigVector<float> Tp(T.size());
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t p = 0; p < cols; ++p) Tp[r * cols + p] = T[r * cols + perm[p]];
    T.swap(Tp);
  }
  for (int64_t p = 0; p < cols; ++p) pos[perm[p]] = p;
  // the weights the loop reads: W0, or a copy when they were zeroed, corrected or permuted above
  BigVector<float> W;
  if (res.dead_columns > 0 || o.qep.hdelta || o.act_order) W.assign(T.begin(), T.end());
  const float* weights = W.empty() ? W0 : W.data();

  const auto t_factor = Clock::now();
  BigVector<float> S;  // R with each column divided by its diagonal entry
  double lambda = o.damp;
  for (int attempt = 0;; ++attempt, lambda += o.damp_step) {
    if (attempt >= o.max_tries) throw std::runtime_error("the Hessian stays singular even with damping " + std::to_string(lambda));
    if (linalg::upper_cholesky_reversed(o.act_order ? Hp.data() : H0, cols, lambda * mean_hdiag, S, &pool, pdiag.data())) break;
  }
  res.damp = lambda;
  BigVector<double>().swap(Hp);
  std::vector<float> rdiag(static_cast<size_t>(cols)), inv_rdiag(static_cast<size_t>(cols));
  for (int64_t j = 0; j < cols; ++j) {
    rdiag[j] = S[j * cols + j];
    inv_rdiag[j] = 1.f / rdiag[j];
  }
  pool.parallel_for(cols, [&](int, int64_t k0, int64_t k1) {
    for (int64_t k = k0; k < k1; ++k)
      for (int64_t p = k; p < cols; ++p) S[k * cols + p] *= inv_rdiag[p];
  });
  res.factor_seconds = seconds_since(t_factor);

  res.data.assign(static_cast<size_t>(rows * nblocks) * block_bytes, 0);
  std::vector<RowState> states(static_cast<size_t>(rows));
  BigVector<float> D(static_cast<size_t>(rows * B));  // this lazy block's w − q
  std::atomic<int64_t> refits{0};
  const linalg::AxpyFn axpy = linalg::axpy_kernel();
  // per processed position: its ggml block, its index in the block and its group (no division per element)
  struct Place {
    int32_t block, index, group;
  };
  std::vector<Place> places(static_cast<size_t>(cols));
  for (int64_t p = 0; p < cols; ++p) {
    const int32_t i = static_cast<int32_t>(perm[p] % bs);
    places[p] = {static_cast<int32_t>(perm[p] / bs), i, static_cast<int32_t>(i / group)};
  }

  for (int64_t b0 = 0; b0 < cols; b0 += B) {
    if (o.cancel && o.cancel->load()) throw std::runtime_error("cancelled");
    const int64_t b1 = std::min(cols, b0 + B);
    pool.parallel_for(rows, [&](int, int64_t r0, int64_t r1) {
      float x[256], wt[256];
      int64_t my_refits = 0;
      for (int64_t r = r0; r < r1; ++r) {
        const float* w = weights + r * cols;
        float* t = T.data() + r * cols;
        RowState& s = states[r];
        for (int64_t p = b0; p < b1; ++p) {
          const Place& place = places[p];
          const int64_t ob = place.block;
          const int i = place.index;
          uint8_t* block = res.data.data() + (r * nblocks + ob) * block_bytes;
          if ((p & (bs - 1)) == 0) {  // the first column of a ggml block (sizes are powers of two): fit its grid on the values as they are now
            for (int64_t k = 0; k < bs; ++k) x[k] = t[pos[ob * bs + k]];
            codec->fit(x, importance.data() + ob * bs, block, s.map);
            std::memcpy(s.fit_w, x, bs * sizeof(float));
            dequantize_row(type, block, s.fit_q, bs);
            std::fill(s.fit_valid, s.fit_valid + bs, true);
            std::fill(s.group_seen, s.group_seen + 16, false);
          }
          if (o.refit_subblocks && codec->has_subscales()) {
            const int g = place.group;
            if (!s.group_seen[g]) {
              s.group_seen[g] = true;
              bool moved = false;
              for (int64_t k = 0; k < group; ++k) {
                const int64_t q = pos[ob * bs + g * group + k];
                x[k] = t[q];
                wt[k] = rdiag[q] * rdiag[q];  // 1/U_qq²
                moved = moved || x[k] != s.fit_w[g * group + k];
              }
              if (moved && codec->refit_group(block, s.map, g, x, wt)) {
                std::fill(s.fit_valid + g * group, s.fit_valid + (g + 1) * group, false);
                ++my_refits;
              }
            }
          }
          float q;
          if (s.fit_valid[i] && t[p] == s.fit_w[i]) {
            q = s.fit_q[i];  // unchanged since the fit: keep the quantizer's own code
          } else {
            codec->write(block, i, codec->project_in_group(s.map, place.group, t[p], &q));
          }
          const float d = w[p] - q;
          D[r * B + (p - b0)] = d;
          axpy(b1 - p - 1, d, S.data() + p * cols + p + 1, t + p + 1);
        }
      }
      refits += my_refits;
    });
    if (b1 < cols) {  // the lazy update of the columns right of this block: T[:, b1:] += D · S[b0:b1, b1:]
      const auto t = Clock::now();
      linalg::sgemm(rows, cols - b1, b1 - b0, 1.f, D.data(), B, S.data() + b0 * cols + b1, cols, T.data() + b1, cols, &pool);
      res.update_seconds += seconds_since(t);
    }
    if (o.progress) o.progress(static_cast<double>(b1), static_cast<double>(cols));
  }
  res.refits = refits.load();
  res.seconds = seconds_since(t_start);

  if (o.measure) {
    res.error = hscale * weighted_error(type, W0, rows, cols, H0, res.data.data(), pool);
    std::vector<uint8_t> rtn(res.data.size());
    quantize_rows(type, W0, rtn.data(), rows, cols, importance.data());
    res.rtn_error = hscale * weighted_error(type, W0, rows, cols, H0, rtn.data(), pool);
  }
  return res;
}

}  // namespace lowbit
