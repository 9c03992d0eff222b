#!/usr/bin/env bash
# CI: Mesa's lavapipe (software Vulkan) so that the WebGPU backend (Dawn, npm package `webgpu`)
# can run its correctness tests without a GPU. Dawn refuses bookworm's Mesa 22 ("Vulkan
# shaderUniform*ArrayDynamicIndexing required"); bookworm-backports has Mesa 25. Idempotent.
#   .ci/webgpu.sh install   add the backports suite (same archive as debian.sources), install
#                           mesa-vulkan-drivers and libvulkan1 from it
#   .ci/webgpu.sh icd       print the lavapipe ICD json (for VK_DRIVER_FILES) if it is installed
set -euo pipefail
icd=/usr/share/vulkan/icd.d/lvp_icd.json
case "${1:-}" in
  install)
    # Done already when Mesa ≥ 25's Vulkan drivers and the Vulkan loader are installed.
    ver="$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)"
    case "$ver" in
      2[5-9].*|[3-9][0-9].*) [ -f "$icd" ] && ldconfig -p | grep -q 'libvulkan\.so\.1' && exit 0 ;;
    esac
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    src=/etc/apt/sources.list.d/debian.sources
    uri="$(awk '/^URIs:/ { print $2; exit }' "$src" 2>/dev/null || true)"
    uri="${uri:-http://deb.debian.org/debian}"
    if ! grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/; then
      printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$uri" \
        | $sudo tee /etc/apt/sources.list.d/backports.sources >/dev/null
    fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers libvulkan1
    ;;
  icd)
    [ -f "$icd" ] && echo "$icd"
    ;;
  *)
    echo "usage: $0 install | icd" >&2
    exit 2
    ;;
esac
