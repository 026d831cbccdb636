#!/usr/bin/env python3
"""A lossy 802.11 medium for mac80211_hwsim radios (standard library only).

    medium.py --radios N --loss P [--link TX:RX=P ...] [--control FILE] --stats FILE

Registers as hwsim's medium on the generic netlink family MAC80211_HWSIM, so the
kernel hands it every frame a radio transmits instead of delivering it itself.
Each transmission attempt on each link (transmitter, receiver) is lost with that
link's probability, drawn independently per attempt:
  - group-addressed frames (and frames sent without ACK) get one attempt; every
    other radio receives it or not on its own draw;
  - unicast frames are tried at the rates and counts mac80211 chose (its retry
    chain); the first attempt that reaches the addressee ends the chain with an
    ACK; if none does, the sender learns that the frame was not acknowledged.
The sender always gets HWSIM_CMD_TX_INFO_FRAME with the attempts it used.
Airtime is counted with a fixed PHY-rate model: every attempt costs a preamble
plus its bits at the legacy rate mac80211 picked (no rate adaptation to SNR).
SIGUSR1: rereads --control (one TX:RX=P per line) and makes those links' loss
what it says, on top of --loss and --link (an empty file: back to them).
SIGTERM/SIGINT: writes the counters as JSON to --stats and exits.
"""

import argparse
import errno
import json
import os
import random
import resource
import signal
import socket
import struct

NETLINK_GENERIC = 16
GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY, CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME = 3, 1, 2
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NLMSG_ERROR = 2
SO_RCVBUFFORCE = 33
RECEIVE_BUFFER = 8 << 20  # a small buffer makes the kernel drop frames silently
# From the kernel's drivers/net/wireless/virtual/mac80211_hwsim.h.
HWSIM_CMD_REGISTER, HWSIM_CMD_FRAME, HWSIM_CMD_TX_INFO_FRAME = 1, 2, 3
(ATTR_ADDR_RECEIVER, ATTR_ADDR_TRANSMITTER, ATTR_FRAME, ATTR_FLAGS, ATTR_RX_RATE,
 ATTR_SIGNAL, ATTR_TX_INFO, ATTR_COOKIE) = range(1, 9)
ATTR_FREQ = 19
TX_CTL_NO_ACK, TX_STAT_ACK = 2, 4
# hwsim's 2.4 GHz legacy rate table, Mbit/s, indexed by mac80211's rate index.
RATES_MBPS = [1, 2, 5.5, 11, 6, 9, 12, 18, 24, 36, 48, 54]
PREAMBLE_US, ACK_US = 20, 10 + 44  # OFDM preamble; SIFS + ACK at 6 Mbit/s
STREAM_FRAME_BYTES = 1000  # data frames this long are the test stream


def attrs(blob):
    out, at = {}, 0
    while at + 4 <= len(blob):
        length, kind = struct.unpack_from("=HH", blob, at)
        if length < 4:
            break
        out[kind & 0x3FFF] = blob[at + 4:at + length]
        at += (length + 3) & ~3
    return out


def attr(kind, data):
    pad = (-(4 + len(data))) % 4
    return struct.pack("=HH", 4 + len(data), kind) + data + b"\0" * pad


class Netlink:
    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
        self.sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, RECEIVE_BUFFER)
        self.sock.bind((0, 0))
        self.seq = 0
        self.pending = []

    def message(self, family, cmd, payload, flags=NLM_F_REQUEST):
        self.seq += 1
        body = struct.pack("=BBH", cmd, 1, 0) + payload
        return struct.pack("=IHHII", 16 + len(body), family, flags, self.seq, 0) + body

    def send(self, family, cmd, payload, flags=NLM_F_REQUEST):
        self.sock.send(self.message(family, cmd, payload, flags))

    def queue(self, family, cmd, payload):
        self.pending.append(self.message(family, cmd, payload))

    def flush(self):
        # One send for all of a frame's messages: a system call costs a lot
        # under emulation, and the kernel handles every message in the buffer.
        if self.pending:
            self.sock.send(b"".join(self.pending))
            self.pending = []

    def messages(self):
        data = self.sock.recv(1 << 16)
        at = 0
        while at + 16 <= len(data):
            length, kind, _, _, _ = struct.unpack_from("=IHHII", data, at)
            if length < 16:
                break
            yield kind, data[at + 16:at + length]
            at += (length + 3) & ~3

    def request(self, family, cmd, payload):
        self.send(family, cmd, payload, NLM_F_REQUEST | NLM_F_ACK)
        for _ in range(8):
            for kind, body in self.messages():
                if kind == NLMSG_ERROR:
                    code = struct.unpack_from("=i", body)[0]
                    if code:
                        raise OSError(-code, os.strerror(-code))
                    return None
                if kind == family or family == GENL_ID_CTRL:
                    return attrs(body[4:])
        raise OSError(errno.ETIMEDOUT, "no answer from netlink")

    def family_id(self, name):
        found = self.request(GENL_ID_CTRL, CTRL_CMD_GETFAMILY,
                             attr(CTRL_ATTR_FAMILY_NAME, name.encode() + b"\0"))
        return struct.unpack("=H", found[CTRL_ATTR_FAMILY_ID][:2])[0]


class Medium:
    def __init__(self, args):
        self.default_loss = args.loss
        self.given_links = self.parse_links(args.link)
        self.link_loss = dict(self.given_links)
        # hwsim names radio i 02:00:00:00:ii:00 on its interface and 42:... on netlink.
        self.radios = [bytes([0x42, 0, 0, 0, i, 0]) for i in range(args.radios)]
        self.loss_cache = {}
        self.random = random.Random(args.seed)
        self.counts = {"frames": 0, "attempts": 0, "lost_attempts": 0, "acked": 0,
                       "not_acked": 0, "group_deliveries": 0, "group_lost": 0,
                       "netlink_overruns": 0, "netlink_errors": 0, "airtime_us": {}, "stream_frames": {}}

    @staticmethod
    def parse_links(specs):
        links = {}
        for spec in specs:
            pair, p = spec.split("=")
            tx, rx = pair.split(":")
            links[(int(tx), int(rx))] = float(p)
        return links

    def reload(self, path):
        """--control's links over the command line's, from the next frame on."""
        try:
            with open(path) as f:
                links = self.parse_links([line.strip() for line in f if line.strip() and not line.startswith("#")])
        except (OSError, ValueError) as e:
            print("medium: cannot read %s: %s (links unchanged)" % (path, e), flush=True)
            return
        self.link_loss = dict(self.given_links)
        self.link_loss.update(links)
        self.loss_cache = {}
        self.counts["reloads"] = self.counts.get("reloads", 0) + 1
        print("medium: links now %s" % ", ".join("%d:%d=%.2f" % (tx, rx, p) for (tx, rx), p in sorted(self.link_loss.items())),
              flush=True)

    def index(self, addr):
        return addr[4] if addr[0] & 0x40 and addr in self.radios else -1

    def survives(self, tx, rx):
        p = self.loss_cache.get((tx, rx))
        if p is None:
            p = self.loss_cache[(tx, rx)] = self.link_loss.get((self.index(tx), self.index(rx)), self.default_loss)
        return self.random.random() >= p

    def count_stream(self, tx, rx, frame, group):
        if len(frame) < STREAM_FRAME_BYTES or (frame[0] >> 2) & 3 != 2:
            return
        key = "%d>%d %s" % (self.index(tx), self.index(rx), "group" if group else "unicast")
        self.counts["stream_frames"][key] = self.counts["stream_frames"].get(key, 0) + 1

    def airtime(self, tx, rate_index, frame_len, acked):
        mbps = RATES_MBPS[rate_index] if 0 <= rate_index < len(RATES_MBPS) else 6
        us = PREAMBLE_US + 8 * (frame_len + 4) / mbps + (ACK_US if acked else 0)
        key = str(self.index(tx))
        self.counts["airtime_us"][key] = self.counts["airtime_us"].get(key, 0) + us

    def handle(self, nl, family, a):
        tx, frame = a[ATTR_ADDR_TRANSMITTER][:6], a[ATTR_FRAME]
        flags = struct.unpack("=I", a[ATTR_FLAGS][:4])[0]
        tries = [struct.unpack_from("=bB", a[ATTR_TX_INFO], i)
                 for i in range(0, len(a.get(ATTR_TX_INFO, b"")) - 1, 2)]
        if tx not in self.radios:
            self.radios.append(tx)
        self.counts["frames"] += 1
        freq = attr(ATTR_FREQ, a[ATTR_FREQ]) if ATTR_FREQ in a else b""
        addr1 = frame[4:10] if len(frame) >= 10 else b"\xff" * 6
        group = bool(addr1[0] & 1) or bool(flags & TX_CTL_NO_ACK)
        deliver = []
        used = [(-1, 0)] * len(tries)
        if group:
            first = next((t for t in tries if t[0] >= 0), (0, 1))
            used[0] = (first[0], 1)
            self.counts["attempts"] += 1
            self.airtime(tx, first[0], len(frame), False)
            for rx in self.radios:
                if rx == tx:
                    continue
                self.counts["group_deliveries"] += 1
                if self.survives(tx, rx):
                    deliver.append(rx)
                    self.count_stream(tx, rx, frame, True)
                else:
                    self.counts["group_lost"] += 1
            acked = False
        else:
            addressee = bytes([addr1[0] | 0x40]) + addr1[1:]
            targets = [addressee] if addressee in self.radios else [r for r in self.radios if r != tx]
            acked = False
            for slot, (rate, count) in enumerate(tries):
                if rate < 0 or acked:
                    break
                for attempt in range(1, count + 1):
                    self.counts["attempts"] += 1
                    reached = [rx for rx in targets if self.survives(tx, rx)]
                    self.airtime(tx, rate, len(frame), bool(reached))
                    used[slot] = (rate, attempt)
                    if reached:
                        acked, deliver = True, reached[:1]
                        self.count_stream(tx, reached[0], frame, False)
                        break
                    self.counts["lost_attempts"] += 1
            self.counts["acked" if acked else "not_acked"] += 1
        for rx in deliver:
            nl.queue(family, HWSIM_CMD_FRAME,
                    attr(ATTR_ADDR_RECEIVER, rx) + attr(ATTR_FRAME, frame)
                    + attr(ATTR_RX_RATE, struct.pack("=I", max(used[0][0], 0)))
                    + attr(ATTR_SIGNAL, struct.pack("=i", -50)) + freq)
        status = (flags & ~TX_STAT_ACK) | (TX_STAT_ACK if acked else 0)
        nl.queue(family, HWSIM_CMD_TX_INFO_FRAME,
                attr(ATTR_ADDR_TRANSMITTER, tx) + attr(ATTR_FLAGS, struct.pack("=I", status))
                + attr(ATTR_SIGNAL, struct.pack("=i", -50))
                + attr(ATTR_TX_INFO, b"".join(struct.pack("=bB", r, c) for r, c in used))
                + attr(ATTR_COOKIE, a[ATTR_COOKIE]))
        nl.flush()


class Stop(Exception):
    pass


def stop(*_):
    raise Stop()  # recv() is retried after a signal unless the handler raises


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--radios", type=int, required=True, help="hwsim radios 0..N-1")
    p.add_argument("--loss", type=float, default=0.0, help="loss per attempt on every link")
    p.add_argument("--link", action="append", default=[], help="TX:RX=P, radio indexes")
    p.add_argument("--seed", type=int)
    p.add_argument("--control", help="file of TX:RX=P lines, reread on SIGUSR1")
    p.add_argument("--stats", required=True, help="JSON counters written on exit")
    args = p.parse_args()
    medium = Medium(args)
    nl = Netlink()
    family = nl.family_id("MAC80211_HWSIM")
    nl.request(family, HWSIM_CMD_REGISTER, b"")
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if args.control:
        # Runs between two frames (Python handles signals between bytecodes; recv resumes).
        signal.signal(signal.SIGUSR1, lambda *_: medium.reload(args.control))
    print("medium: registered, loss %.2f per attempt" % args.loss, flush=True)
    try:
        while True:
            try:
                for kind, body in nl.messages():
                    if kind == family and body[0] == HWSIM_CMD_FRAME:
                        medium.handle(nl, family, attrs(body[4:]))
                    elif kind == NLMSG_ERROR and struct.unpack_from("=i", body)[0]:
                        medium.counts["netlink_errors"] += 1
            except OSError as e:
                if e.errno != errno.ENOBUFS:
                    raise
                medium.counts["netlink_overruns"] += 1  # the kernel dropped frames for us
    except Stop:
        pass
    usage = resource.getrusage(resource.RUSAGE_SELF)
    medium.counts["cpu_s"] = round(usage.ru_utime + usage.ru_stime, 2)
    with open(args.stats, "w") as f:
        json.dump(medium.counts, f, sort_keys=True)


if __name__ == "__main__":
    main()
