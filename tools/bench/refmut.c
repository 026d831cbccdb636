/* refmut: the C baseline `make bench` measures mutd against. It does only the fan-out of
 * MUT's data path, the way a careful C programmer would write it, and nothing else (no IGMP,
 * no table, no control socket): the floor for the work per packet in user space.
 *
 *   refmut QUEUE IFNAME MAC [MAC...]     (root, in the router's namespace, queue rule loaded)
 *
 * NFQUEUE in through libmnl + libnetfilter_queue: whole packets, fail-open when the queue is
 * full, up to BATCH messages per recvmmsg. Every queued packet goes to every MAC as its own
 * Ethernet frame (the IP packet untouched) through one AF_PACKET socket bound to IFNAME, all
 * the copies of a batch in one sendmmsg; then one batch verdict drops the batch's originals.
 * The socket options are mutd's (Sources/MUTLinux/NetfilterQueue.swift, PacketSender.swift),
 * so that the comparison is of the code, not of the settings.
 * Prints its counters on SIGINT/SIGTERM. Build: gcc -O2 refmut.c -lnetfilter_queue -lmnl
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/if_packet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#define MAX_CLIENTS 256
#define BATCH 16                      /* queue messages per recvmmsg, as mutd */
#define MESSAGE_BYTES (16 * 1024)     /* one queue message: headers + a packet up to 16 KiB */
#define MAX_FRAMES (BATCH * MAX_CLIENTS)

static unsigned char headers[MAX_CLIENTS][ETH_HLEN];  /* dst MAC, IFNAME's MAC, 0x0800 */
static int clients;

static unsigned char receive_buffers[BATCH][MESSAGE_BYTES];
static struct iovec receive_vectors[BATCH];
static struct mmsghdr receive_messages[BATCH];

static struct mmsghdr frames[MAX_FRAMES];
static struct iovec frame_vectors[MAX_FRAMES][2];
static int pending;

static char verdict_buffer[8192];
static unsigned long long packets, copies, send_errors, batches;
static volatile sig_atomic_t stopping;

static void on_signal(int sig) { (void)sig; stopping = 1; }

static void die(const char *what) { perror(what); exit(1); }

static int parse_mac(const char *text, unsigned char mac[6]) {
	return sscanf(text, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &mac[0], &mac[1], &mac[2], &mac[3], &mac[4], &mac[5]) == 6;
}

/* One config message with NLM_F_ACK; exits on the kernel's error. */
static void configure(struct mnl_socket *nl, uint16_t queue, void (*fill)(struct nlmsghdr *)) {
	static char buffer[8192];
	static uint32_t sequence = 1;
	struct nlmsghdr *nlh = nfq_nlmsg_put(buffer, NFQNL_MSG_CONFIG, queue);
	nlh->nlmsg_flags |= NLM_F_ACK;
	nlh->nlmsg_seq = sequence++;
	fill(nlh);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) die("mnl_socket_sendto");
	ssize_t n = mnl_socket_recvfrom(nl, buffer, sizeof buffer);
	if (n < 0 || mnl_cb_run(buffer, n, nlh->nlmsg_seq, mnl_socket_get_portid(nl), NULL, NULL) < 0)
		die("NFQUEUE config");
}

static void bind_queue(struct nlmsghdr *nlh) { nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, NFQNL_CFG_CMD_BIND); }

static void copy_whole_fail_open(struct nlmsghdr *nlh) {
	nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, 0xFFFF);
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(NFQA_CFG_F_FAIL_OPEN));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(NFQA_CFG_F_FAIL_OPEN));
}

static void queue_length(struct nlmsghdr *nlh) { nfq_nlmsg_cfg_put_qmaxlen(nlh, 8192); }

/* Sends every pending frame; a frame the kernel refuses is counted and skipped. */
static void flush_frames(int fd) {
	int offset = 0;
	while (offset < pending) {
		int n = sendmmsg(fd, frames + offset, pending - offset, 0);
		if (n < 0) {
			if (errno == EINTR) continue;
			send_errors++;
			offset++;
			continue;
		}
		if (n == 0) break;
		copies += n;
		offset += n;
	}
	pending = 0;
}

int main(int argc, char **argv) {
	if (argc < 4) {
		fprintf(stderr, "usage: refmut QUEUE IFNAME MAC [MAC...]\n");
		return 2;
	}
	uint16_t queue = (uint16_t)atoi(argv[1]);
	const char *ifname = argv[2];

	int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);  /* protocol 0: send only */
	if (fd < 0) die("socket(AF_PACKET)");
	struct ifreq ifr;
	memset(&ifr, 0, sizeof ifr);
	strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) die("SIOCGIFHWADDR");
	struct sockaddr_ll where = {.sll_family = AF_PACKET, .sll_ifindex = (int)if_nametoindex(ifname)};
	if (where.sll_ifindex == 0) die("if_nametoindex");
	if (bind(fd, (struct sockaddr *)&where, sizeof where) < 0) die("bind(AF_PACKET)");
	int one = 1;
	setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);  /* as mutd; optional */

	for (int i = 3; i < argc; i++) {
		if (clients == MAX_CLIENTS) { fprintf(stderr, "refmut: at most %d MACs\n", MAX_CLIENTS); return 2; }
		if (!parse_mac(argv[i], headers[clients])) { fprintf(stderr, "refmut: not a MAC: %s\n", argv[i]); return 2; }
		memcpy(headers[clients] + 6, ifr.ifr_hwaddr.sa_data, 6);
		headers[clients][12] = 0x08;
		headers[clients][13] = 0x00;
		clients++;
	}
	for (int i = 0; i < MAX_FRAMES; i++) {
		frames[i].msg_hdr.msg_iov = frame_vectors[i];
		frames[i].msg_hdr.msg_iovlen = 2;
	}
	for (int i = 0; i < BATCH; i++) {
		receive_vectors[i].iov_base = receive_buffers[i];
		receive_vectors[i].iov_len = MESSAGE_BYTES;
		receive_messages[i].msg_hdr.msg_iov = &receive_vectors[i];
		receive_messages[i].msg_hdr.msg_iovlen = 1;
	}

	struct mnl_socket *nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) die("netlink");
	int nlfd = mnl_socket_get_fd(nl);
	int receive_bytes = 64 << 20;
	if (setsockopt(nlfd, SOL_SOCKET, SO_RCVBUFFORCE, &receive_bytes, sizeof receive_bytes) < 0)
		setsockopt(nlfd, SOL_SOCKET, SO_RCVBUF, &receive_bytes, sizeof receive_bytes);
	setsockopt(nlfd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof one);
	struct timeval tick = {.tv_sec = 0, .tv_usec = 200000};  /* notice a signal */
	setsockopt(nlfd, SOL_SOCKET, SO_RCVTIMEO, &tick, sizeof tick);
	configure(nl, queue, bind_queue);
	configure(nl, queue, copy_whole_fail_open);
	configure(nl, queue, queue_length);

	struct sigaction action = {.sa_handler = on_signal};
	sigaction(SIGINT, &action, NULL);
	sigaction(SIGTERM, &action, NULL);
	fprintf(stderr, "refmut: queue %u -> %s, %d client(s)\n", queue, ifname, clients);

	struct nlattr *attributes[NFQA_MAX + 1];
	while (!stopping) {
		int n = recvmmsg(nlfd, receive_messages, BATCH, MSG_WAITFORONE, NULL);
		if (n <= 0) {
			if (n < 0 && errno != EINTR && errno != EAGAIN && errno != ENOBUFS) die("recvmmsg");
			continue;
		}
		batches++;
		uint32_t last_id = 0;
		int have_id = 0;
		for (int m = 0; m < n; m++) {
			struct nlmsghdr *nlh = (struct nlmsghdr *)receive_buffers[m];
			int length = (int)receive_messages[m].msg_len;
			if (!mnl_nlmsg_ok(nlh, length) || (nlh->nlmsg_type & 0xff) != NFQNL_MSG_PACKET) continue;
			memset(attributes, 0, sizeof attributes);
			if (nfq_nlmsg_parse(nlh, attributes) < 0 || !attributes[NFQA_PACKET_HDR]) continue;
			struct nfqnl_msg_packet_hdr *header = mnl_attr_get_payload(attributes[NFQA_PACKET_HDR]);
			last_id = ntohl(header->packet_id);
			have_id = 1;
			packets++;
			if (!attributes[NFQA_PAYLOAD]) continue;
			void *payload = mnl_attr_get_payload(attributes[NFQA_PAYLOAD]);
			size_t size = mnl_attr_get_payload_len(attributes[NFQA_PAYLOAD]);
			for (int c = 0; c < clients; c++) {
				if (pending == MAX_FRAMES) flush_frames(fd);
				frame_vectors[pending][0] = (struct iovec){headers[c], ETH_HLEN};
				frame_vectors[pending][1] = (struct iovec){payload, size};
				pending++;
			}
		}
		flush_frames(fd);  /* the copies first, then the verdict that drops the originals */
		if (have_id) {
			struct nlmsghdr *nlh = nfq_nlmsg_put(verdict_buffer, NFQNL_MSG_VERDICT_BATCH, queue);
			nfq_nlmsg_verdict_put(nlh, (int)last_id, NF_DROP);
			if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) perror("verdict");
		}
	}
	fprintf(stderr, "refmut: %llu packets, %llu copies, %llu send errors, %llu batches\n",
	        packets, copies, send_errors, batches);
	mnl_socket_close(nl);
	close(fd);
	return 0;
}
