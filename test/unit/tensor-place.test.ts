// Tensor names → (layer, kind, expert) for dense llama-style, merged/split MoE and Hugging Face names.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { baseKind, isMergedExperts, tensorPlace } from '../../main/core/sensitivity/tensor-place.js';

describe('tensor places', () => {
  const cases: Array<[string, { layer: number | null; kind: string; expert?: number }]> = [
    ['token_embd.weight', { layer: null, kind: 'token_embd' }],
    ['output.weight', { layer: null, kind: 'output' }],
    ['output_norm.weight', { layer: null, kind: 'output_norm' }],
    ['blk.0.attn_q.weight', { layer: 0, kind: 'attn_q' }],
    ['blk.12.ffn_down.weight', { layer: 12, kind: 'ffn_down' }],
    ['blk.3.attn_q.bias', { layer: 3, kind: 'attn_q.bias' }],
    ['blk.7.ffn_down_exps.weight', { layer: 7, kind: 'ffn_down_exps' }],
    ['blk.7.ffn_gate_inp.weight', { layer: 7, kind: 'ffn_gate_inp' }],
    ['blk.7.ffn_up_shexp.weight', { layer: 7, kind: 'ffn_up_shexp' }],
    ['blk.7.ffn_gate_inp_shexp.weight', { layer: 7, kind: 'ffn_gate_inp_shexp' }],
    ['blk.2.ffn_down.5.weight', { layer: 2, kind: 'ffn_down', expert: 5 }],
    ['model.embed_tokens.weight', { layer: null, kind: 'token_embd' }],
    ['lm_head.weight', { layer: null, kind: 'output' }],
    ['model.norm.weight', { layer: null, kind: 'output_norm' }],
    ['model.layers.4.self_attn.v_proj.weight', { layer: 4, kind: 'attn_v' }],
    ['model.layers.4.self_attn.o_proj.weight', { layer: 4, kind: 'attn_output' }],
    ['model.layers.4.mlp.down_proj.weight', { layer: 4, kind: 'ffn_down' }],
    ['model.layers.4.input_layernorm.weight', { layer: 4, kind: 'attn_norm' }],
    ['model.layers.1.block_sparse_moe.gate.weight', { layer: 1, kind: 'ffn_gate_inp' }],
    ['model.layers.1.block_sparse_moe.experts.6.w2.weight', { layer: 1, kind: 'ffn_down', expert: 6 }],
    ['model.layers.1.block_sparse_moe.experts.6.w3.weight', { layer: 1, kind: 'ffn_up', expert: 6 }],
    ['model.layers.9.mlp.experts.63.gate_proj.weight', { layer: 9, kind: 'ffn_gate', expert: 63 }],
    ['model.layers.9.mlp.gate.weight', { layer: 9, kind: 'ffn_gate_inp' }],
    ['model.layers.9.mlp.shared_expert.down_proj.weight', { layer: 9, kind: 'ffn_down_shexp' }],
    ['model.layers.9.mlp.shared_expert_gate.weight', { layer: 9, kind: 'ffn_gate_inp_shexp' }],
  ];
  for (const [name, want] of cases) it(`${name} → ${JSON.stringify(want)}`, () => assert.deepEqual(tensorPlace(name), want));

  it('maps MoE kinds to their dense kind and recognises merged expert tensors', () => {
    assert.equal(baseKind('ffn_down_exps'), 'ffn_down');
    assert.equal(baseKind('ffn_gate_shexp'), 'ffn_gate');
    assert.equal(baseKind('attn_v'), 'attn_v');
    assert.equal(isMergedExperts('ffn_up_exps'), true);
    assert.equal(isMergedExperts('ffn_up_shexp'), false);
  });
});
