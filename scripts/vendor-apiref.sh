#!/bin/sh
# vendor-apiref.sh fetches the pinned Redoc release from npm and copies its
# standalone bundle and licences into internal/web/static/vendor, where the
# /api/v1/docs page loads it from Ordo itself (no CDN at run time).
#
# To update: set VERSION, run with TARBALL_SHA256= (empty) to print the new
# tarball's sha256, check the release notes, pin the sha256 here, run again,
# and change redocBundle in internal/web/apiref.go to the new file name.
set -eu

VERSION=2.5.4
# sha256 of redoc-$VERSION.tgz as npm serves it (npm's own integrity is
# sha512; this pins the exact bytes we reviewed).
TARBALL_SHA256=${TARBALL_SHA256-44922df4d0eb45c1b066c09ec251e6bd9bd7ded16bc69e87613337b9d911a56e}

root=$(cd "$(dirname "$0")/.." && pwd)
dest=$root/internal/web/static/vendor
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

(cd "$tmp" && npm pack --silent "redoc@$VERSION" >/dev/null)
tgz=$tmp/redoc-$VERSION.tgz
got=$(sha256sum "$tgz" | cut -d' ' -f1)
if [ "$got" != "$TARBALL_SHA256" ]; then
	echo "redoc-$VERSION.tgz: sha256 $got, want ${TARBALL_SHA256:-(none pinned)}" >&2
	exit 1
fi
tar -xzf "$tgz" -C "$tmp"

mkdir -p "$dest"
rm -f "$dest"/redoc-*
js=$tmp/package/bundles/redoc.standalone.js
# One patch: the side menu's "API docs by Redocly" link shows a logo
# loaded from cdn.redoc.ly, on every visit (a request to a third party the
# page's CSP blocks, and reports). "data:," is an image that fails to load,
# and Redoc drops an image that fails; the link's text stays.
logo=https://cdn.redoc.ly/redoc/logo-mini.svg
if [ "$(grep -o "$logo" "$js" | wc -l)" -ne 1 ]; then
	echo "redoc $VERSION: expected the logo URL $logo once in the bundle; check the patch" >&2
	exit 1
fi
sed "s#$logo#data:,#" "$js" > "$dest/redoc-$VERSION.standalone.js"
if grep -q 'cdn\.redoc\.ly' "$dest/redoc-$VERSION.standalone.js"; then
	echo "redoc $VERSION: the bundle still names cdn.redoc.ly" >&2
	exit 1
fi
cp "$tmp/package/bundles/redoc.standalone.js.LICENSE.txt" "$dest/redoc-$VERSION.standalone.js.LICENSE.txt"
cp "$tmp/package/LICENSE" "$dest/redoc-$VERSION.LICENSE"
# SHA256SUMS lets a test check that the embedded files are the ones fetched.
(cd "$dest" && sha256sum redoc-* > SHA256SUMS)
echo "vendored redoc $VERSION into $dest:"
cat "$dest/SHA256SUMS"
