/* mutcast-sink: one client's receiver for MUT's benchmark.
 *
 * Joins groups BASE..BASE+STREAMS-1 on IFACE (so IGMP reports go out), and reads
 * every IPv4 frame arriving on IFACE through an AF_PACKET socket, which shows
 * the Ethernet destination: a copy addressed to this client's own MAC (what
 * the translator sends) or to the group's multicast MAC (plain routing).
 * Frames carrying mutcast-send payloads to PORT are counted per stream:
 * unique, duplicates (a sequence number seen before), reordered (below the
 * highest seen), and one-way latency = receive time - send time on the shared
 * CLOCK_MONOTONIC, in a histogram of 1 us buckets up to 100 ms, then 1 ms
 * buckets up to 10 s (a translator that falls behind queues for seconds).
 * A second histogram times each frame's arrival at IFACE (the kernel's receive
 * timestamp, SO_TIMESTAMPNS) rather than its read: the same path without this
 * process's own wake-up, which on a small machine shares the CPUs with the
 * translator and every other sink.
 * Stops on SIGTERM/SIGINT or after DURATION seconds; prints one JSON object.
 * --family 6: IPv6 frames (EtherType 0x86DD, UDP right after the fixed header, as
 * mutcast-send --family 6 sends them), groups joined with MLD; stream s's group is
 * the base with s added to its last 32 bits.
 *
 * usage: mutcast-sink --interface eth0 [--family 4|6] [--group 239.1.1.1|ff0e::8000:1] [--streams 1]
 *        [--port 5000] [--duration 120] [--ready-file PATH] [--no-join]
 *        [--max-seq 8388608] [--histogram] */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_STREAMS 64
#define FINE_US 100000                   /* 1 us buckets below this */
#define HIST_BUCKETS (FINE_US + 10000)    /* then 1 ms buckets, to about 10 s */

static int bucket_of(uint64_t us) {
	if (us < FINE_US) return (int)us;
	uint64_t b = FINE_US + (us - FINE_US) / 1000;
	return b >= HIST_BUCKETS ? HIST_BUCKETS - 1 : (int)b;
}

static uint64_t value_of(int bucket) {
	return bucket < FINE_US ? (uint64_t)bucket : FINE_US + (uint64_t)(bucket - FINE_US) * 1000;
}

struct stream {
	uint64_t unique, duplicates, reordered, highest;
	int seen_any;
	unsigned char *bitmap;
};

static volatile sig_atomic_t stopping;
static void on_signal(int s) { (void)s; stopping = 1; }

static uint64_t now_ns(void) {
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void usage(void) {
	fprintf(stderr, "usage: mutcast-sink --interface IFACE [--family 4|6] [--group GROUP] [--streams N] [--port P] "
	                "[--duration S] [--ready-file PATH] [--no-join] [--max-seq N] [--histogram]\n");
	exit(2);
}

static uint64_t percentile(const uint32_t *hist, uint64_t count, double p) {
	if (count == 0) return 0;
	uint64_t rank = (uint64_t)(p * (double)count);
	if (rank >= count) rank = count - 1;
	uint64_t seen = 0;
	for (int i = 0; i < HIST_BUCKETS; i++) {
		seen += hist[i];
		if (seen > rank) return value_of(i);
	}
	return value_of(HIST_BUCKETS - 1);
}

int main(int argc, char **argv) {
	const char *ifname = 0, *group = 0, *ready = 0;
	int family = 4, port = 5000, streams = 1, join = 1, dump_hist = 0;
	double duration = 120;
	uint64_t max_seq = 8u << 20;
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i];
		if (!strcmp(o, "--no-join")) { join = 0; continue; }
		if (!strcmp(o, "--histogram")) { dump_hist = 1; continue; }
		if (i + 1 >= argc) usage();
		const char *v = argv[++i];
		if (!strcmp(o, "--interface")) ifname = v;
		else if (!strcmp(o, "--group")) group = v;
		else if (!strcmp(o, "--family")) family = atoi(v);
		else if (!strcmp(o, "--streams")) streams = atoi(v);
		else if (!strcmp(o, "--port")) port = atoi(v);
		else if (!strcmp(o, "--duration")) duration = atof(v);
		else if (!strcmp(o, "--ready-file")) ready = v;
		else if (!strcmp(o, "--max-seq")) max_seq = strtoull(v, 0, 10);
		else usage();
	}
	if (family != 4 && family != 6) usage();
	if (!group) group = family == 6 ? "ff0e::8000:1" : "239.1.1.1";
	/* IPv4: the whole group address; IPv6: its first 12 bytes must match and streams count
	 * in the last 4 (base_low). */
	struct in_addr base = {0};
	struct in6_addr base6 = IN6ADDR_ANY_INIT;
	uint32_t base_low = 0;
	int parsed = family == 6 ? inet_pton(AF_INET6, group, &base6) : inet_pton(AF_INET, group, &base);
	if (!ifname || streams < 1 || streams > MAX_STREAMS || parsed != 1) usage();
	if (family == 6) {
		memcpy(&base_low, &base6.s6_addr[12], 4);
		base_low = ntohl(base_low);
	} else {
		base_low = ntohl(base.s_addr);
	}
	const uint16_t ethertype = family == 6 ? ETH_P_IPV6 : ETH_P_IP;
	unsigned ifindex = if_nametoindex(ifname);
	if (!ifindex) { perror(ifname); return 1; }

	int pfd = socket(AF_PACKET, SOCK_RAW, htons(ethertype));
	if (pfd < 0) { perror("AF_PACKET socket"); return 1; }
	int big = 32 << 20;
	if (setsockopt(pfd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big) < 0)
		setsockopt(pfd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
	struct timeval tick = {0, 200000};  /* lets the loop notice a stop request */
	setsockopt(pfd, SOL_SOCKET, SO_RCVTIMEO, &tick, sizeof tick);
	struct sockaddr_ll bind_to = {.sll_family = AF_PACKET, .sll_protocol = htons(ethertype), .sll_ifindex = (int)ifindex};
	if (bind(pfd, (struct sockaddr *)&bind_to, sizeof bind_to) < 0) { perror("bind AF_PACKET"); return 1; }

	struct ifreq ifr = {0};
	strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
	unsigned char own_mac[6] = {0};
	if (ioctl(pfd, SIOCGIFHWADDR, &ifr) == 0) memcpy(own_mac, ifr.ifr_hwaddr.sa_data, 6);

	/* The membership socket is never read: frames are counted on the packet socket.
	 * It binds a port nothing is sent to, so the kernel queues nothing on it. */
	int mfd = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
	if (join && family == 6) {
		for (int s = 0; s < streams; s++) {
			struct ipv6_mreq m = {.ipv6mr_multiaddr = base6, .ipv6mr_interface = ifindex};
			uint32_t low = htonl(base_low + (uint32_t)s);
			memcpy(&m.ipv6mr_multiaddr.s6_addr[12], &low, 4);
			if (setsockopt(mfd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &m, sizeof m) < 0) { perror("IPV6_JOIN_GROUP"); return 1; }
		}
	} else if (join) {
		for (int s = 0; s < streams; s++) {
			struct ip_mreqn m = {.imr_ifindex = (int)ifindex};
			m.imr_multiaddr.s_addr = htonl(ntohl(base.s_addr) + (uint32_t)s);
			if (setsockopt(mfd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m) < 0) { perror("IP_ADD_MEMBERSHIP"); return 1; }
		}
	}

	struct stream st[MAX_STREAMS] = {0};
	for (int s = 0; s < streams; s++) {
		st[s].bitmap = calloc(max_seq / 8 + 1, 1);
		if (!st[s].bitmap) { perror("calloc"); return 1; }
	}
	uint32_t *hist = calloc(HIST_BUCKETS, sizeof *hist);
	uint32_t *arrival_hist = calloc(HIST_BUCKETS, sizeof *arrival_hist);
	uint64_t arrival_samples = 0;
	int one = 1;
	int stamped = setsockopt(pfd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof one) == 0;
	uint64_t frames = 0, to_own = 0, to_group = 0, to_other = 0, foreign = 0, samples = 0, max_ns = 0;
	double sum_us = 0;

	struct sigaction sa = {0};
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, 0);
	sigaction(SIGTERM, &sa, 0);
	if (ready) { FILE *f = fopen(ready, "w"); if (f) fclose(f); }

	const uint64_t deadline = now_ns() + (uint64_t)(duration * 1e9);
	/* Frames are read BATCH at a time (recvmmsg): at 100,000s of frames/s, one syscall
	 * per frame would make the sinks, not the translator, the bottleneck. A frame's
	 * receive time is its batch's, so latency includes the sink's own wake-up delay. */
	enum { BATCH = 64, FRAME = 2048 };
	static unsigned char frames_buf[BATCH][FRAME];
	static struct sockaddr_ll from[BATCH];
	static struct iovec iov[BATCH];
	static struct mmsghdr msgs[BATCH];
	static union { struct cmsghdr align; char bytes[CMSG_SPACE(sizeof(struct timespec))]; } control[BATCH];
	while (!stopping && now_ns() < deadline) {
		for (int k = 0; k < BATCH; k++) {
			iov[k] = (struct iovec){frames_buf[k], FRAME};
			msgs[k].msg_hdr = (struct msghdr){.msg_name = &from[k], .msg_namelen = sizeof from[k], .msg_iov = &iov[k], .msg_iovlen = 1,
			                                  .msg_control = control[k].bytes, .msg_controllen = sizeof control[k].bytes};
		}
		int got = recvmmsg(pfd, msgs, BATCH, MSG_WAITFORONE, 0);
		if (got < 0) {
			if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
			perror("recvmmsg");
			break;
		}
		uint64_t received = now_ns();
		/* Kernel timestamps are CLOCK_REALTIME; the payload's send time is CLOCK_MONOTONIC. */
		struct timespec realtime;
		clock_gettime(CLOCK_REALTIME, &realtime);
		int64_t realtime_minus_monotonic = (int64_t)realtime.tv_sec * 1000000000ll + realtime.tv_nsec - (int64_t)received;
		for (int k = 0; k < got; k++) {
			const unsigned char *frame = frames_buf[k];
			ssize_t n = (ssize_t)msgs[k].msg_len;
			if (from[k].sll_pkttype == PACKET_OUTGOING) continue;
			const unsigned char *ip = frame + 14, *udp;
			uint32_t dst;
			int other_prefix = 0;  /* an IPv6 group outside the base's first 12 bytes */
			if (family == 6) {
				if (n < 14 + 40 + 8 + 24 || (ip[0] >> 4) != 6 || ip[6] != IPPROTO_UDP) continue;
				other_prefix = memcmp(ip + 24, base6.s6_addr, 12) != 0;
				memcpy(&dst, ip + 24 + 12, 4);
				udp = ip + 40;
			} else {
				if (n < 14 + 20 + 8 + 24) continue;
				int ihl = (ip[0] & 15) * 4;
				if ((ip[0] >> 4) != 4 || ip[9] != IPPROTO_UDP || n < 14 + ihl + 8 + 24) continue;
				memcpy(&dst, ip + 16, 4);
				udp = ip + ihl;
			}
			const unsigned char *payload = udp + 8;
			if (((udp[2] << 8) | udp[3]) != port || memcmp(payload, "MUTB", 4) != 0) continue;
			int64_t s = (int64_t)ntohl(dst) - (int64_t)base_low;
			uint32_t stream_id;
			uint64_t seq, sent_at;
			memcpy(&stream_id, payload + 4, 4);
			memcpy(&seq, payload + 8, 8);
			memcpy(&sent_at, payload + 16, 8);
			if (other_prefix || s < 0 || s >= streams || stream_id != (uint32_t)s || seq >= max_seq) { foreign++; continue; }
			frames++;
			if (!memcmp(frame, own_mac, 6)) to_own++;
			else if (frame[0] & 1) to_group++;
			else to_other++;
			struct stream *t = &st[s];
			unsigned char bit = (unsigned char)(1u << (seq & 7));
			if (t->bitmap[seq >> 3] & bit) { t->duplicates++; continue; }
			t->bitmap[seq >> 3] |= bit;
			t->unique++;
			if (t->seen_any && seq < t->highest) t->reordered++;
			if (!t->seen_any || seq > t->highest) t->highest = seq;
			t->seen_any = 1;
			uint64_t latency = received > sent_at ? received - sent_at : 0;
			hist[bucket_of(latency / 1000)]++;
			if (latency > max_ns) max_ns = latency;
			sum_us += (double)latency / 1000.0;
			samples++;
			for (struct cmsghdr *c = stamped ? CMSG_FIRSTHDR(&msgs[k].msg_hdr) : 0; c; c = CMSG_NXTHDR(&msgs[k].msg_hdr, c)) {
				if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_TIMESTAMPNS) continue;
				struct timespec at;
				memcpy(&at, CMSG_DATA(c), sizeof at);
				int64_t arrived = (int64_t)at.tv_sec * 1000000000ll + at.tv_nsec - realtime_minus_monotonic;
				uint64_t arrival = arrived > (int64_t)sent_at ? (uint64_t)(arrived - (int64_t)sent_at) : 0;
				arrival_hist[bucket_of(arrival / 1000)]++;
				arrival_samples++;
			}
		}
	}

	uint64_t unique = 0, duplicates = 0, reordered = 0;
	for (int s = 0; s < streams; s++) { unique += st[s].unique; duplicates += st[s].duplicates; reordered += st[s].reordered; }
	printf("{\"interface\":\"%s\",\"mac\":\"%02x:%02x:%02x:%02x:%02x:%02x\",\"frames\":%llu,"
	       "\"to_own_mac\":%llu,\"to_group_mac\":%llu,\"to_other_mac\":%llu,\"foreign\":%llu,"
	       "\"unique\":%llu,\"duplicates\":%llu,\"reordered\":%llu,",
	       ifname, own_mac[0], own_mac[1], own_mac[2], own_mac[3], own_mac[4], own_mac[5],
	       (unsigned long long)frames, (unsigned long long)to_own, (unsigned long long)to_group,
	       (unsigned long long)to_other, (unsigned long long)foreign, (unsigned long long)unique,
	       (unsigned long long)duplicates, (unsigned long long)reordered);
	printf("\"latency_us\":{\"p50\":%llu,\"p99\":%llu,\"max\":%.1f,\"mean\":%.1f},\"streams\":[",
	       (unsigned long long)percentile(hist, samples, 0.50), (unsigned long long)percentile(hist, samples, 0.99),
	       (double)max_ns / 1000.0, samples ? sum_us / (double)samples : 0.0);
	for (int s = 0; s < streams; s++)
		printf("%s{\"stream\":%d,\"unique\":%llu,\"duplicates\":%llu,\"reordered\":%llu}", s ? "," : "", s,
		       (unsigned long long)st[s].unique, (unsigned long long)st[s].duplicates, (unsigned long long)st[s].reordered);
	printf("]");
	if (arrival_samples)
		printf(",\"arrival_latency_us\":{\"p50\":%llu,\"p99\":%llu,\"samples\":%llu}",
		       (unsigned long long)percentile(arrival_hist, arrival_samples, 0.50),
		       (unsigned long long)percentile(arrival_hist, arrival_samples, 0.99), (unsigned long long)arrival_samples);
	if (dump_hist) {
		printf(",\"histogram_us\":[");
		int first = 1;
		for (int i = 0; i < HIST_BUCKETS; i++)
			if (hist[i]) { printf("%s[%llu,%u]", first ? "" : ",", (unsigned long long)value_of(i), hist[i]); first = 0; }
		printf("]");
		if (arrival_samples) {
			printf(",\"arrival_histogram_us\":[");
			first = 1;
			for (int i = 0; i < HIST_BUCKETS; i++)
				if (arrival_hist[i]) { printf("%s[%llu,%u]", first ? "" : ",", (unsigned long long)value_of(i), arrival_hist[i]); first = 0; }
			printf("]");
		}
	}
	printf("}\n");
	return 0;
}
