#include <stdexcept>
#include <string>

#include "codec.h"
#include "lowbit/gptq_probe.h"

namespace lowbit {

CodecProbe gptq_codec_probe(const TypeTraits& type, const std::vector<float>& fit_values, const std::vector<float>& importance,
                            const std::vector<float>& targets, bool refit) {
  const gptq::BlockCodec* codec = gptq::BlockCodec::find(type.type);
  if (!codec) throw std::invalid_argument(std::string("GPTQ does not support ") + type.name + " yet");
  const size_t bs = static_cast<size_t>(codec->block_size());
  if (fit_values.size() != bs || importance.size() != bs || targets.size() != bs) throw std::invalid_argument("one block of values each");
  CodecProbe p;
  p.data.resize(codec->block_bytes());
  BlockMap map;
  codec->fit(fit_values.data(), importance.data(), p.data.data(), map);
  if (refit && codec->has_subscales()) {
    const std::vector<float> ones(bs, 1.f);
    for (int g = 0; g < codec->block_size() / codec->group_size(); ++g)
      p.refitted += codec->refit_group(p.data.data(), map, g, targets.data() + g * codec->group_size(), ones.data());
  }
  p.codes.resize(bs);
  p.values.resize(bs);
  for (size_t i = 0; i < bs; ++i) {
    p.codes[i] = codec->project(map, static_cast<int>(i), targets[i], &p.values[i]);
    codec->write(p.data.data(), static_cast<int>(i), p.codes[i]);
  }
  return p;
}

}  // namespace lowbit
