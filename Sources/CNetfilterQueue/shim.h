#ifndef MUT_CNETFILTERQUEUE_SHIM_H
#define MUT_CNETFILTERQUEUE_SHIM_H
// glibc's netinet/in.h first, so the kernel's linux/in6.h does not redefine its structures.
#include <stdint.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/netfilter.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#endif
