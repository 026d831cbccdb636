#!/bin/bash
# Build the Wi-Fi test bed's guest from Debian packages:
#   build-image.sh OUTDIR
# writes OUTDIR/rootfs.img (ext4), OUTDIR/vmlinuz and OUTDIR/initrd.img.
# The Debian mirror is the host's own (its apt sources), never one named here.
# Needs root, mmdebstrap and mke2fs.  Exit 77 when it cannot run here.
set -euo pipefail
out=${1:?usage: build-image.sh OUTDIR}
here=$(cd "$(dirname "$0")" && pwd)
suite=bookworm

# The first "deb" source of the host that serves $suite (deb822 or one-line form).
host_mirror() {
	local f
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		awk -v suite="$suite" '
			/^[[:space:]]*$/ { if (deb && uri && ok) { print uri; exit } deb = uri = ok = 0; next }
			/^Types:/ { for (i = 2; i <= NF; i++) if ($i == "deb") deb = 1 }
			/^URIs:/ { uri = $2 }
			/^Suites:/ { for (i = 2; i <= NF; i++) if ($i == suite) ok = 1 }
			END { if (deb && uri && ok) print uri }' "$f" | head -n 1
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		awk -v suite="$suite" '$1 == "deb" { u = ($2 ~ /^\[/) ? 3 : 2; if ($(u + 1) == suite) print $u }' "$f"
	done
}
# Else any Debian archive the host uses: it serves $suite as well.
any_debian_mirror() {
	cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '/^URIs:/ { for (i = 2; i <= NF; i++) print $i }'
	cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
		| awk '$1 == "deb" { print ($2 ~ /^\[/) ? $3 : $2 }'
}
mirror=$(host_mirror | head -n 1)
[ -n "$mirror" ] || mirror=$(any_debian_mirror | grep -E '/debian/?$' | head -n 1)
if [ -z "$mirror" ]; then
	echo "build-image: no Debian $suite mirror in the host's apt sources" >&2
	exit 77
fi
packages=$(grep -v '^#' "$here/packages.list" | xargs | tr ' ' ',')

mkdir -p "$out"
tree=$(mktemp -d "${TMPDIR:-/tmp}/mut-wifi-root.XXXXXX")
trap 'rm -rf "$tree"' EXIT
echo "build-image: mmdebstrap $suite from $mirror into $tree"
mmdebstrap --variant=apt --mode=root --include="$packages" \
	--dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
	--dpkgopt='path-exclude=/usr/share/man/*' \
	"$suite" "$tree" "$mirror"
# The guest's init: mount the host's share and run the bed's script from it, so
# that changing the scenarios never changes the image.
cat >"$tree/sbin/mut-wifi-init" <<'INIT'
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
modprobe -q 9pnet_virtio; modprobe -q 9p
mkdir -p /mnt/bed
if mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 bed /mnt/bed; then
	/bin/bash /mnt/bed/tools/guest.sh
else
	echo "mut-wifi-init: cannot mount the share"
fi
echo o >/proc/sysrq-trigger
sleep 30
INIT
chmod 0755 "$tree/sbin/mut-wifi-init"
cp "$(ls "$tree"/boot/vmlinuz-* | sort | tail -n 1)" "$out/vmlinuz.tmp"
cp "$(ls "$tree"/boot/initrd.img-* | sort | tail -n 1)" "$out/initrd.img.tmp"
# The kernel's modules and the packages need about 700 MiB; leave room for logs.
mke2fs -q -t ext4 -L mut-wifi -d "$tree" "$out/rootfs.img.tmp" 1536M
for f in rootfs.img vmlinuz initrd.img; do mv "$out/$f.tmp" "$out/$f"; done
echo "build-image: done ($(du -sh "$out/rootfs.img" | cut -f1))"
