#!/usr/bin/env bash
# Builds OCI image fixtures with real tools (umoci, skopeo), for the importers' tests.
#
#   build-fixtures.sh OUT_DIR
#
# OUT_DIR receives (see fixtures.json there for the list, arches and digests):
#   app-amd64.docker.tar, app-arm64.docker.tar      docker-archive (docker save format)
#   app-amd64.oci/, app-arm64.oci/                  OCI layout directories
#   app-amd64.oci.tar, app-arm64.oci.tar            the same layouts as tar files
#   multiarch.oci/, multiarch.oci.tar               an OCI image index: linux/amd64 + linux/arm64
#   shared.oci/                                     app-amd64 and tool-amd64, sharing a base layer
#   broken/truncated.docker.tar                     a docker-archive cut in half
#   broken/layer-digest-mismatch.oci/               a layer blob whose bytes do not match its digest
#   broken/missing-manifest.oci/                    index.json points at a manifest blob that is absent
#   broken/arch-mismatch.oci/                       an index saying arm64 for an amd64 image
set -euo pipefail
out=$(realpath -m "$1")
work=$(mktemp -d /tmp/edgeforge-lab-oci.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out/broken"
export SOURCE_DATE_EPOCH=1700000000
stamp=@1700000000
src=$work/src
umoci init --layout "$src"

# Per arch: a base layer, then app (and tool, on amd64) images on top of it, sharing that layer.
for arch in amd64 arm64; do
  umoci new --image "$src:base-$arch"
  umoci unpack --image "$src:base-$arch" "$work/base-$arch"
  mkdir -p "$work/base-$arch/rootfs/etc"
  printf 'ID=edgeforge-fixture\nARCH=%s\n' "$arch" > "$work/base-$arch/rootfs/etc/os-release"
  find "$work/base-$arch/rootfs" -exec touch -h -d "$stamp" {} +
  umoci repack --image "$src:base-$arch" "$work/base-$arch"
  umoci config --image "$src:base-$arch" --os linux --architecture "$arch" --created 2023-11-14T22:13:20Z --tag "base-$arch"
  for app in app tool; do
    [ "$app" = tool ] && [ "$arch" = arm64 ] && continue
    b=$work/$app-$arch
    umoci unpack --image "$src:base-$arch" "$b"
    mkdir -p "$b/rootfs/app"
    printf '#!/bin/sh\necho %s on %s\n' "$app" "$arch" > "$b/rootfs/app/run.sh"
    chmod 755 "$b/rootfs/app/run.sh"
    find "$b/rootfs" -exec touch -h -d "$stamp" {} +
    umoci repack --image "$src:$app-$arch" "$b"
    umoci config --image "$src:$app-$arch" --os linux --architecture "$arch" --created 2023-11-14T22:13:20Z \
      --config.entrypoint /app/run.sh --config.exposedports 8080/tcp --config.env GREETING=hello --config.env "ARCH=$arch"
  done
done

for arch in amd64 arm64; do
  skopeo copy -q "oci:$src:app-$arch" "docker-archive:$out/app-$arch.docker.tar:edgeforge/fixture-app:$arch"
  skopeo copy -q "oci:$src:app-$arch" "oci:$out/app-$arch.oci:app"
  tar -C "$out/app-$arch.oci" --sort=name --mtime="$stamp" --owner=0 --group=0 --numeric-owner -cf "$out/app-$arch.oci.tar" .
done
skopeo copy -q "oci:$src:app-amd64" "oci:$out/shared.oci:app"
skopeo copy -q "oci:$src:tool-amd64" "oci:$out/shared.oci:tool"

# A multi-arch image index (OCI image-spec image-index.md), written by hand: skopeo 1.9 cannot make one.
desc() { # LAYOUT: the single manifest descriptor of an OCI layout's index.json
  python3 -c 'import json,sys; m=json.load(open(sys.argv[1]+"/index.json"))["manifests"][0]; print(json.dumps({k: m[k] for k in ("mediaType","digest","size")}))' "$1"
}
mk_index() { # OUT ARCH_FOR_AMD64 : layout holding both images, index claims given arch for the amd64 manifest
  local dst=$1 amd_arch=$2
  mkdir -p "$dst/blobs/sha256"
  cp -n "$out/app-amd64.oci/blobs/sha256/"* "$dst/blobs/sha256/"
  cp -n "$out/app-arm64.oci/blobs/sha256/"* "$dst/blobs/sha256/"
  python3 - "$dst" "$(desc "$out/app-amd64.oci")" "$(desc "$out/app-arm64.oci")" "$amd_arch" <<'PY'
import hashlib, json, sys, os
dst, amd, arm, amd_arch = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3]), sys.argv[4]
amd["platform"] = {"architecture": amd_arch, "os": "linux"}
arm["platform"] = {"architecture": "arm64", "os": "linux", "variant": "v8"}
index = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": [amd, arm]}, separators=(",", ":")).encode()
digest = hashlib.sha256(index).hexdigest()
open(os.path.join(dst, "blobs/sha256", digest), "wb").write(index)
top = {"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.index.v1+json", "digest": "sha256:" + digest, "size": len(index), "annotations": {"org.opencontainers.image.ref.name": "app"}}]}
json.dump(top, open(os.path.join(dst, "index.json"), "w"))
open(os.path.join(dst, "oci-layout"), "w").write('{"imageLayoutVersion":"1.0.0"}')
PY
}
mk_index "$out/multiarch.oci" amd64
tar -C "$out/multiarch.oci" --sort=name --mtime="$stamp" --owner=0 --group=0 --numeric-owner -cf "$out/multiarch.oci.tar" .
mk_index "$out/broken/arch-mismatch.oci" arm64

# Broken on purpose.
size=$(stat -c %s "$out/app-amd64.docker.tar")
head -c $((size / 2)) "$out/app-amd64.docker.tar" > "$out/broken/truncated.docker.tar"

cp -a "$out/app-amd64.oci" "$out/broken/layer-digest-mismatch.oci"
layer=$(python3 -c 'import json,sys; d=sys.argv[1]; i=json.load(open(d+"/index.json"))["manifests"][0]["digest"].split(":")[1]; m=json.load(open(d+"/blobs/sha256/"+i)); print(m["layers"][-1]["digest"].split(":")[1])' "$out/broken/layer-digest-mismatch.oci")
python3 - "$out/broken/layer-digest-mismatch.oci/blobs/sha256/$layer" <<'PY'
import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[len(b) // 2] ^= 0xFF; open(p, "wb").write(b)
PY

cp -a "$out/app-amd64.oci" "$out/broken/missing-manifest.oci"
manifest=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]+"/index.json"))["manifests"][0]["digest"].split(":")[1])' "$out/broken/missing-manifest.oci")
rm "$out/broken/missing-manifest.oci/blobs/sha256/$manifest"

python3 - "$out" <<'PY'
import json, os, sys
out = sys.argv[1]
def manifest_of(layout):
    d = json.load(open(os.path.join(out, layout, "index.json")))["manifests"][0]
    return d["digest"]
fixtures = {
    "images": [
        {"name": "app", "arch": a, "dockerArchive": f"app-{a}.docker.tar", "ociDir": f"app-{a}.oci", "ociTar": f"app-{a}.oci.tar", "manifest": manifest_of(f"app-{a}.oci")}
        for a in ("amd64", "arm64")
    ],
    "multiArch": {"ociDir": "multiarch.oci", "ociTar": "multiarch.oci.tar", "platforms": ["linux/amd64", "linux/arm64/v8"]},
    "sharedBaseLayer": {"ociDir": "shared.oci", "refs": ["app", "tool"]},
    "broken": {
        "truncated": "broken/truncated.docker.tar",
        "layerDigestMismatch": "broken/layer-digest-mismatch.oci",
        "missingManifest": "broken/missing-manifest.oci",
        "archMismatch": "broken/arch-mismatch.oci",
    },
}
json.dump(fixtures, open(os.path.join(out, "fixtures.json"), "w"), indent=2)
PY
echo "lab: OCI fixtures ready in $out"
