// One-line explanations of the studio's numbers, shown as tooltips (title) wherever they appear.
export const EXPLAIN = {
  error: 'Hessian-weighted squared error: tr((W−Q)·H·(W−Q)ᵀ) per calibration token, with H the inputs’ XᵀX. Lower is better; it ranks types, it is not in nats.',
  kl: 'Mean KL divergence of the quantized model’s next-token distribution to the original’s, in nats (0 = identical). Lower is better.',
  ppl: 'Perplexity on the evaluation text ± its standard error, as llama-perplexity reports it. Lower is better.',
  bpw: 'Bits per weight: 8 × bytes of the quantized tensors ÷ their weights (F32 = 32, Q4_0 = 4.5).',
  top1: 'How often the quantized model’s most likely next token equals the original’s.',
  predictedKl: 'The mean KL divergence to the original this plan is expected to give, fitted from the report’s measured KL (nats).',
  predictedError: 'The summed Hessian-weighted error of the plan’s choices: it ranks plans, but it is not a KL in nats.',
  size: 'Size of the whole GGUF file.',
} as const;
