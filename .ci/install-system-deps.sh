#!/usr/bin/env bash
# Debian packages the test suite needs: independent numeric references (PyTorch, ONNX checker, scikit-learn,
# NLTK), Jupyter for the notebook tests, Chromium for the browser test and redis-server for the search-worker
# tests (started by those tests on loopback). Skips apt when all are present.
set -euo pipefail
pkgs=(python3-torch python3-onnx python3-numpy python3-sklearn python3-nltk jupyter-notebook jupyter-nbconvert
  python3-nbclient python3-jupyter-server chromium redis-server)
missing=()
for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${missing[@]}" >/dev/null
fi
