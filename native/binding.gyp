{
  "variables": {
    "lowbit_cuda%": "<!(node cuda-config.cjs enabled)"
  },
  "targets": [
    {
      "target_name": "lowbit",
      "sources": ["<!@(node list-sources.cjs)"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")", "include"],
      "defines": ["NAPI_CPP_EXCEPTIONS", "NAPI_VERSION=8"],
      "cflags!": ["-fno-exceptions", "-O2"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-O2"],
      "cflags_cc": ["-std=c++17", "-O3", "-fexceptions", "-pthread", "-Wall", "-Wextra", "-Wno-unused-parameter", "-ffp-contract=off"],
      "ldflags": ["-pthread"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "OTHER_CPLUSPLUSFLAGS": ["-O3", "-ffp-contract=off"]
      },
      "conditions": [
        ["lowbit_cuda=='ON'", {
          "defines": ["LOWBIT_WITH_CUDA"],
          "include_dirs": ["<!(node cuda-config.cjs include)"],
          "libraries": ["<!@(node cuda-config.cjs libraries)"]
        }]
      ],
      "msvs_settings": {
        "VCCLCompilerTool": { "ExceptionHandling": 1, "AdditionalOptions": ["/std:c++17", "/O2"] }
      }
    }
  ]
}
