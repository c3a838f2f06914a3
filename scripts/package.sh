#!/usr/bin/env bash
# Make the release tarball: gongzhi-VERSION-linux-ARCH.tar.gz holding the
# binary, the systemd unit, the settings file and the documentation, laid out
# as docs/deploy.md installs it (/opt/gongzhi, /etc/gongzhi).
#   scripts/package.sh            build with the dist profile, then pack
#   scripts/package.sh BINARY     pack a binary built already
set -euo pipefail
cd "$(dirname "$0")/.."
version=$(grep -m1 '^version' Cargo.toml | cut -d'"' -f2)
arch=$(uname -m)
bin=${1:-}
if [ -z "$bin" ]; then
  cargo build --locked --profile dist -p gongzhi
  bin=target/dist/gongzhi
fi
name="gongzhi-$version-linux-$arch"
out="target/package/$name"
rm -rf "$out" && mkdir -p "$out/bin" "$out/docs" "$out/systemd" "$out/etc"
install -m 0755 "$bin" "$out/bin/gongzhi"
install -m 0644 packaging/gongzhi.service "$out/systemd/gongzhi.service"
install -m 0600 packaging/gongzhi.env "$out/etc/gongzhi.env"
install -m 0644 README.md "$out/README.md"
cp -r docs/. "$out/docs/"
tar -C target/package -czf "target/package/$name.tar.gz" "$name"
echo "target/package/$name.tar.gz ($(du -h "target/package/$name.tar.gz" | cut -f1); binary $(du -h "$out/bin/gongzhi" | cut -f1))"
