// lowbit-cuda-selftest: checks the CUDA kernels against host references and times the GPU
// workloads of the benchmark targets; prints one JSON object. Built with `npm run build:cuda -- --link`,
// run on a machine with an NVIDIA GPU.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "lowbit/fp16.h"
#include "lowbit_cuda.h"

namespace {

// llama.cpp's Q4_0 round-to-nearest, and its dequantization
void q4_0(const float* x, int n, uint8_t* out, float* deq) {
  for (int b = 0; b < n / 32; ++b, x += 32, out += 18, deq += 32) {
    float a = 0, mx = 0;
    for (int j = 0; j < 32; ++j)
      if (std::fabs(x[j]) > a) { a = std::fabs(x[j]); mx = x[j]; }
    const float d = mx / -8, id = d ? 1.f / d : 0.f;
    const uint16_t dh = lowbit::fp32_to_fp16(d);
    out[0] = dh & 0xff;
    out[1] = dh >> 8;
    for (int j = 0; j < 16; ++j) {
      const int lo = std::min(15, static_cast<int>(x[j] * id + 8.5f)), hi = std::min(15, static_cast<int>(x[j + 16] * id + 8.5f));
      out[2 + j] = static_cast<uint8_t>(lo | (hi << 4));
      deq[j] = (lo - 8) * lowbit::fp16_to_fp32(dh);
      deq[j + 16] = (hi - 8) * lowbit::fp16_to_fp32(dh);
    }
  }
}

#define CHECK(x)                                                                   \
  do {                                                                             \
    if ((x) != 0) {                                                                \
      std::fprintf(stderr, "%s failed: %s\n", #x, lowbit_cuda_error());            \
      return 1;                                                                    \
    }                                                                              \
  } while (0)

template <typename T>
T* upload(const std::vector<T>& v) {
  T* d = nullptr;
  cudaMalloc(&d, v.size() * sizeof(T));
  cudaMemcpy(d, v.data(), v.size() * sizeof(T), cudaMemcpyHostToDevice);
  return d;
}

double now() { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); }

}  // namespace

int main() {
  std::mt19937 rng(7);
  std::normal_distribution<float> g;
  cudaDeviceProp prop{};
  if (cudaGetDeviceProperties(&prop, 0) != cudaSuccess) {
    std::fprintf(stderr, "no CUDA device\n");
    return 2;
  }

  // 1. XᵀX against a host fp64 loop
  const int tok = 300, hc = 200;
  std::vector<float> x(static_cast<size_t>(tok) * hc);
  for (auto& v : x) v = g(rng);
  std::vector<double> href(static_cast<size_t>(hc) * hc, 0.0), hgot(href.size());
  for (int t = 0; t < tok; ++t)
    for (int i = 0; i < hc; ++i)
      for (int j = 0; j < hc; ++j) href[i * hc + j] += static_cast<double>(x[t * hc + i]) * x[t * hc + j];
  float* xd = upload(x);
  double* hd = upload(std::vector<double>(href.size(), 0.0));
  CHECK(lowbit_cuda_hessian_accumulate(hd, xd, tok, hc, nullptr));
  cudaMemcpy(hgot.data(), hd, hgot.size() * sizeof(double), cudaMemcpyDeviceToHost);
  double herr = 0;
  for (size_t i = 0; i < href.size(); ++i) herr = std::max(herr, std::fabs(hgot[i] - href[i]) / (std::fabs(href[i]) + 1.0));

  // 2. Q4_0 product against a host fp64 product of the dequantized weights
  const int rows = 96, cols = 512, mt = 19;
  std::vector<float> w(static_cast<size_t>(rows) * cols), wdq(w.size()), xa(static_cast<size_t>(mt) * cols), y(static_cast<size_t>(mt) * rows);
  for (auto& v : w) v = g(rng);
  for (auto& v : xa) v = g(rng);
  std::vector<uint8_t> wq(static_cast<size_t>(rows) * cols / 32 * 18);
  q4_0(w.data(), rows * cols, wq.data(), wdq.data());
  uint8_t* wqd = upload(wq);
  float* xad = upload(xa);
  float* yd = upload(y);
  CHECK(lowbit_cuda_dequant_matmul(LOWBIT_CUDA_Q4_0, wqd, rows, cols, xad, mt, yd, nullptr));
  cudaMemcpy(y.data(), yd, y.size() * sizeof(float), cudaMemcpyDeviceToHost);
  double merr = 0;
  for (int t = 0; t < mt; ++t)
    for (int r = 0; r < rows; ++r) {
      double s = 0, mag = 0;
      for (int c = 0; c < cols; ++c) { s += static_cast<double>(xa[t * cols + c]) * wdq[r * cols + c]; mag += std::fabs(xa[t * cols + c] * wdq[r * cols + c]); }
      merr = std::max(merr, std::fabs(y[t * rows + r] - s) / mag);
    }

  // 3. GPTQ of a 4096 × 4096 layer (H from 8192 tokens)
  const int n = 4096, ht = 8192;
  std::vector<float> xh(static_cast<size_t>(ht) * n);
  for (auto& v : xh) v = g(rng);
  float* xhd = upload(xh);
  double* hn = upload(std::vector<double>(static_cast<size_t>(n) * n, 0.0));
  double t0 = now();
  CHECK(lowbit_cuda_hessian_accumulate(hn, xhd, ht, n, nullptr));
  cudaDeviceSynchronize();
  const double hessian_seconds = now() - t0;
  std::vector<double> h(static_cast<size_t>(n) * n);
  cudaMemcpy(h.data(), hn, h.size() * sizeof(double), cudaMemcpyDeviceToHost);
  for (auto& v : h) v *= 2.0 / ht;
  std::vector<float> wl(static_cast<size_t>(n) * n);
  for (auto& v : wl) v = g(rng) * 0.02f;
  std::vector<uint8_t> out(static_cast<size_t>(n) * n / 32 * 18);
  LowbitCudaGptqTimes times{};
  CHECK(lowbit_cuda_gptq(LOWBIT_CUDA_Q4_0, wl.data(), n, n, h.data(), 0.01, out.data(), &times));  // warm-up
  t0 = now();
  CHECK(lowbit_cuda_gptq(LOWBIT_CUDA_Q4_0, wl.data(), n, n, h.data(), 0.01, out.data(), &times));
  const double gptq_seconds = now() - t0;

  // 4. matmul throughput of a 1B-shaped model (Llama 3.2 1B: 16 layers, 2048 wide, FFN 8192, KV 512, vocab 128256)
  struct Shape { int rows, cols, count; };
  const Shape shapes[] = {{2048, 2048, 32}, {512, 2048, 32}, {8192, 2048, 32}, {2048, 8192, 16}, {128256, 2048, 1}};
  const int bt = 512;
  std::vector<float> xb(static_cast<size_t>(bt) * 8192);
  for (auto& v : xb) v = g(rng);
  float* xbd = upload(xb);
  float* ybd = nullptr;
  cudaMalloc(&ybd, static_cast<size_t>(bt) * 128256 * sizeof(float));
  double mm_seconds = 0;
  for (const auto& s : shapes) {
    uint8_t* wd = nullptr;
    cudaMalloc(&wd, static_cast<size_t>(s.rows) * s.cols / 32 * 18);
    cudaMemset(wd, 0x11, static_cast<size_t>(s.rows) * s.cols / 32 * 18);
    CHECK(lowbit_cuda_dequant_matmul(LOWBIT_CUDA_Q4_0, wd, s.rows, s.cols, xbd, bt, ybd, nullptr));
    cudaDeviceSynchronize();
    t0 = now();
    CHECK(lowbit_cuda_dequant_matmul(LOWBIT_CUDA_Q4_0, wd, s.rows, s.cols, xbd, bt, ybd, nullptr));
    cudaDeviceSynchronize();
    mm_seconds += (now() - t0) * s.count;
    cudaFree(wd);
  }

  std::printf("{\"device\": \"%s\", \"hessianMaxRelError\": %.3g, \"q4_0MatmulMaxRelError\": %.3g, "
              "\"hessian4096x8192Seconds\": %.4f, \"gptq4096Seconds\": %.4f, \"gptqFactorSeconds\": %.4f, "
              "\"gptqUpdateSeconds\": %.4f, \"q4_0MatmulTokensPerSecond1B\": %.0f}\n",
              prop.name, herr, merr, hessian_seconds, gptq_seconds, times.factor_seconds, times.update_seconds,
              bt / mm_seconds);
  const bool ok = herr < 1e-9 && merr < 1e-5;
  return ok ? 0 : 1;
}
