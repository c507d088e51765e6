// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Routes, neighbours, link and interface addresses from rtnetlink; see netlink.h. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>
#include <arpa/inet.h>

#include <linux/genetlink.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/neighbour.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <libmnl/libmnl.h>

#include "netlink.h"

/* Large enough for one RTM_NEWLINK of a device with many attributes; a
 * truncated reply would fail with -ENOSPC rather than be misread. */
#define NL_BUF_SIZE 32768
/* Every request here is a header, a fixed struct and one small attribute. */
#define NL_REQ_SIZE 256
/* Buffers are read and written as struct nlmsghdr. */
#define NL_ALIGNED __attribute__((aligned(8)))

/* States with a link address to use (the kernel's NUD_VALID, not exported). */
#define NL_NUD_USABLE (NUD_REACHABLE | NUD_STALE | NUD_DELAY | NUD_PROBE | \
		       NUD_PERMANENT | NUD_NOARP)

/* How often nl_neigh_resolve looks at the table while the kernel resolves. */
#define NL_POLL_MS 10

struct nl {
	struct mnl_socket *sock;
	unsigned int portid;
	unsigned int seq;
};

/* One reply attribute table, filled by attr_cb. */
struct nl_attrs {
	const struct nlattr **tb;
	unsigned int max;
};

/* The largest errno a netlink ack may carry (the kernel's MAX_ERRNO). */
#define NL_MAX_ERRNO 4095

/* -errno after a failed call, never 0 even if the call left errno unset,
 * and -EIO for a value that is no errno (an ack's INT_MIN cannot be negated). */
static int neg_errno(void)
{
	return errno > 0 && errno <= NL_MAX_ERRNO ? -errno : -EIO;
}

/*
 * Checks a received buffer before libmnl walks it: mnl_nlmsg_ok (1.0.4)
 * compares nlmsg_len as an int, so a length of 2^31 or more passes it and
 * the walk leaves the buffer. Every message must fit what remains, and an
 * ack's error must be an errno (libmnl negates it).
 */
static int reply_check(const char *buf, size_t len)
{
	if (len > INT_MAX)
		return -EMSGSIZE;
	while (len >= sizeof(struct nlmsghdr)) {
		struct nlmsghdr nlh;
		size_t step;

		memcpy(&nlh, buf, sizeof(nlh));
		if (nlh.nlmsg_len < sizeof(nlh) || nlh.nlmsg_len > len)
			return -EBADMSG;
		if (nlh.nlmsg_type == NLMSG_ERROR && nlh.nlmsg_len >= NLMSG_LENGTH(sizeof(int))) {
			int error;

			memcpy(&error, buf + NLMSG_HDRLEN, sizeof(error));
			if (error < -NL_MAX_ERRNO || error > NL_MAX_ERRNO)
				return -EPROTO;
		}
		step = NLMSG_ALIGN(nlh.nlmsg_len);
		if (step >= len)
			break;
		buf += step;
		len -= step;
	}
	return 0;
}

/* One received buffer through cb: < 0 -errno, 0 the ack (done), 1 more to read. */
static int reply_run(const char *buf, size_t len, unsigned int seq, unsigned int portid,
		     mnl_cb_t cb, void *data)
{
	int ret = reply_check(buf, len);

	if (ret)
		return ret;
	errno = 0;
	ret = mnl_cb_run(buf, len, seq, portid, cb, data);
	if (ret < 0)
		return neg_errno();
	return ret > MNL_CB_STOP ? 1 : 0;
}

static int nl_open_bus(struct nl *nl, int bus)
{
	int err;

	*nl = (struct nl){ 0 };
	nl->sock = mnl_socket_open2(bus, SOCK_CLOEXEC);
	if (!nl->sock)
		return neg_errno();
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = neg_errno();
		mnl_socket_close(nl->sock);
		return err;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (unsigned int)time(NULL);
	return 0;
}

static int nl_open(struct nl *nl)
{
	return nl_open_bus(nl, NETLINK_ROUTE);
}

static void nl_close(struct nl *nl)
{
	mnl_socket_close(nl->sock);
}

/*
 * Sends one request and feeds every reply to cb until the kernel's ack, so
 * the socket is always drained for the next request. Callbacks only record
 * what they find (never fail), so the result is the ack's errno.
 */
static int nl_talk(struct nl *nl, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char buf[NL_BUF_SIZE] NL_ALIGNED;
	int ret = 1;
	ssize_t n;

	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = ++nl->seq;
	if (mnl_socket_sendto(nl->sock, nlh, nlh->nlmsg_len) < 0)
		return neg_errno();
	do {
		n = mnl_socket_recvfrom(nl->sock, buf, sizeof(buf));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return neg_errno();
		}
		ret = reply_run(buf, (size_t)n, nlh->nlmsg_seq, nl->portid, cb, data);
		if (ret < 0)
			return ret;
	} while (ret > 0);
	return 0;
}

static int attr_cb(const struct nlattr *attr, void *data)
{
	struct nl_attrs *a = data;
	unsigned int type = mnl_attr_get_type(attr);

	/* Attributes newer than our headers are not ours to read. */
	if (type <= a->max)
		a->tb[type] = attr;
	return MNL_CB_OK;
}

static int family_af(int family, int *af, size_t *alen)
{
	switch (family) {
	case SIOBPF_FAMILY_IPV4:
		*af = AF_INET;
		*alen = 4;
		return 0;
	case SIOBPF_FAMILY_IPV6:
		*af = AF_INET6;
		*alen = 16;
		return 0;
	default:
		return -EAFNOSUPPORT;
	}
}

/* Routes */

struct route_reply {
	bool found;
	__u8 type;
	int oif;
	bool gateway;
};

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[RTA_MAX + 1] = { NULL };
	struct nl_attrs a = { tb, RTA_MAX };
	struct route_reply *r = data;
	const struct rtmsg *rtm;

	if (nlh->nlmsg_type != RTM_NEWROUTE ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*rtm))
		return MNL_CB_OK;
	rtm = mnl_nlmsg_get_payload(nlh);
	mnl_attr_parse(nlh, sizeof(*rtm), attr_cb, &a);
	r->found = true;
	r->type = rtm->rtm_type;
	if (tb[RTA_OIF] && mnl_attr_get_payload_len(tb[RTA_OIF]) >= sizeof(__u32))
		r->oif = (int)mnl_attr_get_u32(tb[RTA_OIF]);
	/* RTA_VIA is an IPv4 route's IPv6 next hop: a gateway all the same. */
	r->gateway = tb[RTA_GATEWAY] || tb[RTA_VIA];
	return MNL_CB_OK;
}

int nl_route_get(int family, const __u32 addr[4], struct nl_route_info *out)
{
	char buf[NL_REQ_SIZE] NL_ALIGNED;
	struct route_reply r = { 0 };
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	struct nl nl;
	size_t alen;
	int af, err;

	if (!addr || !out)
		return -EINVAL;
	err = family_af(family, &af, &alen);
	if (err)
		return err;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETROUTE;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = (__u8)af;
	rtm->rtm_dst_len = (__u8)(alen * 8);
	mnl_attr_put(nlh, RTA_DST, alen, addr);

	err = nl_open(&nl);
	if (err)
		return err;
	err = nl_talk(&nl, nlh, route_cb, &r);
	nl_close(&nl);
	if (err)
		return err;
	if (!r.found)
		return -EPROTO;

	switch (r.type) {
	case RTN_UNICAST:
	case RTN_LOCAL:
		break;
	default:
		/* Unreachable, blackhole, prohibit, broadcast...: nothing to forward to. */
		return -EHOSTUNREACH;
	}
	if (r.oif <= 0)
		return -EHOSTUNREACH;
	out->ifindex = r.oif;
	out->is_local = r.type == RTN_LOCAL;
	out->has_gateway = !out->is_local && r.gateway;
	return 0;
}

/* Neighbours */

struct neigh_reply {
	bool found;
	__u16 state;
	bool has_mac;
	__u8 mac[6];
};

static int neigh_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NDA_MAX + 1] = { NULL };
	struct nl_attrs a = { tb, NDA_MAX };
	struct neigh_reply *r = data;
	const struct ndmsg *ndm;

	if (nlh->nlmsg_type != RTM_NEWNEIGH ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*ndm))
		return MNL_CB_OK;
	ndm = mnl_nlmsg_get_payload(nlh);
	mnl_attr_parse(nlh, sizeof(*ndm), attr_cb, &a);
	r->found = true;
	r->state = ndm->ndm_state;
	if (tb[NDA_LLADDR] && mnl_attr_get_payload_len(tb[NDA_LLADDR]) == 6) {
		memcpy(r->mac, mnl_attr_get_payload(tb[NDA_LLADDR]), 6);
		r->has_mac = true;
	}
	return MNL_CB_OK;
}

static int neigh_get(struct nl *nl, int af, size_t alen, const __u32 addr[4],
		     int ifindex, __u8 mac[6])
{
	char buf[NL_REQ_SIZE] NL_ALIGNED;
	struct neigh_reply r = { 0 };
	struct nlmsghdr *nlh;
	struct ndmsg *ndm;
	int err;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETNEIGH;
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = (__u8)af;
	ndm->ndm_ifindex = ifindex;
	mnl_attr_put(nlh, NDA_DST, alen, addr);

	err = nl_talk(nl, nlh, neigh_cb, &r);
	if (err)
		return err;
	if (!r.found)
		return -EPROTO;

	if (r.state & NUD_FAILED)
		return -EHOSTUNREACH;
	if (r.state & NUD_INCOMPLETE)
		return -EAGAIN;
	if (!(r.state & NL_NUD_USABLE))
		return -ENOENT; /* NONE: created, but nothing is resolving it */
	/* A NOARP device without an Ethernet address has no MAC to give. */
	if (!r.has_mac)
		return -EOPNOTSUPP;
	memcpy(mac, r.mac, 6);
	return 0;
}

/*
 * Asks the kernel to resolve addr on ifindex: RTM_NEWNEIGH with NTF_USE
 * creates the entry if needed and runs neigh_event_send() on it, exactly what
 * a packet waiting for the address would do, so the kernel sends its
 * ARP request / neighbour solicitation and follows its own retry and FAILED
 * rules. Chosen over the alternatives because:
 *  - an RTM_NEWNEIGH in NUD_INCOMPLETE without NTF_USE only sets the state:
 *    no timer is armed and no probe is sent, so the entry never resolves;
 *  - a UDP datagram to the discard port resolves the route's next hop, not
 *    necessarily addr, needs a route through ifindex, and sends the target a
 *    real packet.
 * NTF_USE has done this since long before Linux 6.x; it needs CAP_NET_ADMIN,
 * which attaching XDP needs anyway.
 */
static int neigh_use(struct nl *nl, int af, size_t alen, const __u32 addr[4],
		     int ifindex)
{
	char buf[NL_REQ_SIZE] NL_ALIGNED;
	struct nlmsghdr *nlh;
	struct ndmsg *ndm;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWNEIGH;
	nlh->nlmsg_flags = NLM_F_CREATE;
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = (__u8)af;
	ndm->ndm_ifindex = ifindex;
	ndm->ndm_state = NUD_NONE;
	ndm->ndm_flags = NTF_USE;
	mnl_attr_put(nlh, NDA_DST, alen, addr);

	return nl_talk(nl, nlh, NULL, NULL);
}

int nl_neigh_get(int family, const __u32 addr[4], int ifindex, __u8 mac[6])
{
	struct nl nl;
	size_t alen;
	int af, err;

	if (!addr || !mac || ifindex <= 0)
		return -EINVAL;
	err = family_af(family, &af, &alen);
	if (err)
		return err;
	err = nl_open(&nl);
	if (err)
		return err;
	err = neigh_get(&nl, af, alen, addr, ifindex, mac);
	nl_close(&nl);
	return err;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int nl_neigh_resolve(int family, const __u32 addr[4], int ifindex, int timeout_ms,
		     __u8 mac[6])
{
	long long deadline, left;
	struct timespec ts;
	struct nl nl;
	size_t alen;
	int af, err;

	if (!addr || !mac || ifindex <= 0 || timeout_ms < 0)
		return -EINVAL;
	err = family_af(family, &af, &alen);
	if (err)
		return err;
	err = nl_open(&nl);
	if (err)
		return err;
	deadline = now_ms() + timeout_ms;

	err = neigh_get(&nl, af, alen, addr, ifindex, mac);
	/* A FAILED entry is from an earlier attempt: this one tries again. */
	if (err != -ENOENT && err != -EAGAIN && err != -EHOSTUNREACH)
		goto out;
	err = neigh_use(&nl, af, alen, addr, ifindex);
	if (err)
		goto out;

	for (;;) {
		err = neigh_get(&nl, af, alen, addr, ifindex, mac);
		/* ENOENT too: the entry may be recreated by the kernel's next use. */
		if (err != -ENOENT && err != -EAGAIN)
			break;
		left = deadline - now_ms();
		if (left <= 0) {
			err = -ETIMEDOUT;
			break;
		}
		if (left > NL_POLL_MS)
			left = NL_POLL_MS;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)left * 1000000;
		nanosleep(&ts, NULL);
	}
out:
	nl_close(&nl);
	return err;
}

/* Addresses */

struct addr_dump {
	int ifindex; /* 0: every interface */
	struct nl_addr *list;
	size_t count, cap;
	int err;     /* -ENOMEM once the list could not grow */
};

static int addr_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[IFA_MAX + 1] = { NULL };
	struct nl_attrs a = { tb, IFA_MAX };
	struct addr_dump *d = data;
	const struct ifaddrmsg *ifa;
	const struct nlattr *at;
	struct nl_addr *e;
	size_t alen;
	int af;

	if (nlh->nlmsg_type != RTM_NEWADDR || mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifa))
		return MNL_CB_OK;
	ifa = mnl_nlmsg_get_payload(nlh);
	if (d->ifindex && (int)ifa->ifa_index != d->ifindex)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*ifa), attr_cb, &a);
	/* IFA_LOCAL is an IPv4 address itself; IFA_ADDRESS a peer's on a point-to-point link. */
	at = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	af = ifa->ifa_family == AF_INET ? SIOBPF_FAMILY_IPV4 : SIOBPF_FAMILY_IPV6;
	if ((ifa->ifa_family != AF_INET && ifa->ifa_family != AF_INET6) || !at ||
	    family_af(af, &(int){ 0 }, &alen) || mnl_attr_get_payload_len(at) != alen)
		return MNL_CB_OK;
	if (d->count == d->cap) {
		size_t cap = d->cap ? d->cap * 2 : 16;
		struct nl_addr *grown = realloc(d->list, cap * sizeof(*grown));

		if (!grown) {
			d->err = -ENOMEM;
			return MNL_CB_OK; /* the dump is read to its end all the same */
		}
		d->list = grown;
		d->cap = cap;
	}
	e = &d->list[d->count++];
	memset(e, 0, sizeof(*e));
	e->family = af;
	memcpy(e->addr, mnl_attr_get_payload(at), alen);
	e->prefixlen = ifa->ifa_prefixlen;
	e->ifindex = (int)ifa->ifa_index;
	if (tb[IFA_PROTO] && mnl_attr_get_payload_len(tb[IFA_PROTO]) >= 1)
		e->proto = mnl_attr_get_u8(tb[IFA_PROTO]);
	return MNL_CB_OK;
}

int nl_addr_list(int ifindex, struct nl_addr **out, size_t *count)
{
	char buf[NL_REQ_SIZE] NL_ALIGNED;
	struct addr_dump d = { .ifindex = ifindex };
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	struct nl nl;
	int err;

	if (!out || !count || ifindex < 0)
		return -EINVAL;
	*out = NULL;
	*count = 0;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_DUMP;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_UNSPEC;

	err = nl_open(&nl);
	if (err)
		return err;
	err = nl_talk(&nl, nlh, addr_cb, &d);
	nl_close(&nl);
	if (!err)
		err = d.err;
	if (err) {
		free(d.list);
		return err;
	}
	*out = d.list;
	*count = d.count;
	return 0;
}

/* One RTM_NEWADDR or RTM_DELADDR of a whole-length prefix. */
static int addr_change(__u16 type, int ifindex, int family, const __u32 addr[4], __u8 prefixlen,
		       __u8 proto)
{
	char buf[NL_REQ_SIZE] NL_ALIGNED;
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	struct nl nl;
	size_t alen;
	int af, err;

	if (!addr || ifindex <= 0)
		return -EINVAL;
	err = family_af(family, &af, &alen);
	if (err)
		return err;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	if (type == RTM_NEWADDR)
		nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = (__u8)af;
	ifa->ifa_prefixlen = prefixlen;
	ifa->ifa_index = (__u32)ifindex;
	/* Universe scope: routing daemons (BIRD's direct protocol) skip host-scope addresses. */
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	/* No duplicate address detection: the address is to be usable at once. */
	if (af == AF_INET6)
		ifa->ifa_flags = IFA_F_NODAD;
	if (af == AF_INET)
		mnl_attr_put(nlh, IFA_LOCAL, alen, addr);
	mnl_attr_put(nlh, IFA_ADDRESS, alen, addr);
	if (proto)
		mnl_attr_put_u8(nlh, IFA_PROTO, proto);

	err = nl_open(&nl);
	if (err)
		return err;
	err = nl_talk(&nl, nlh, NULL, NULL);
	nl_close(&nl);
	return err;
}

int nl_addr_add(int ifindex, int family, const __u32 addr[4], __u8 proto)
{
	return addr_change(RTM_NEWADDR, ifindex, family, addr, family == SIOBPF_FAMILY_IPV4 ? 32 : 128, proto);
}

int nl_addr_del(int ifindex, const struct nl_addr *a)
{
	if (!a)
		return -EINVAL;
	return addr_change(RTM_DELADDR, ifindex, a->family, a->addr, a->prefixlen, 0);
}

/* Links */

struct link_reply {
	bool found;
	bool has_mac;
	__u8 mac[6];
	int mtu;
};

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[IFLA_MAX + 1] = { NULL };
	struct nl_attrs a = { tb, IFLA_MAX };
	struct link_reply *r = data;
	const struct ifinfomsg *ifi;

	if (nlh->nlmsg_type != RTM_NEWLINK ||
	    mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi))
		return MNL_CB_OK;
	ifi = mnl_nlmsg_get_payload(nlh);
	mnl_attr_parse(nlh, sizeof(*ifi), attr_cb, &a);
	r->found = true;
	if (tb[IFLA_ADDRESS] && mnl_attr_get_payload_len(tb[IFLA_ADDRESS]) == 6) {
		memcpy(r->mac, mnl_attr_get_payload(tb[IFLA_ADDRESS]), 6);
		r->has_mac = true;
	}
	if (tb[IFLA_MTU] && mnl_attr_get_payload_len(tb[IFLA_MTU]) == 4)
		r->mtu = (int)mnl_attr_get_u32(tb[IFLA_MTU]);
	return MNL_CB_OK;
}

static int link_get(int ifindex, struct link_reply *r)
{
	char buf[NL_REQ_SIZE] NL_ALIGNED;
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	struct nl nl;
	int err;

	if (ifindex <= 0)
		return -EINVAL;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = ifindex;
	/* The statistics are most of the reply, and unread here. */
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);

	err = nl_open(&nl);
	if (err)
		return err;
	err = nl_talk(&nl, nlh, link_cb, r);
	nl_close(&nl);
	if (err)
		return err;
	return r->found ? 0 : -EPROTO;
}

int nl_link_mac(int ifindex, __u8 mac[6])
{
	struct link_reply r = { 0 };
	int err;

	if (!mac)
		return -EINVAL;
	err = link_get(ifindex, &r);
	if (err)
		return err;
	if (!r.has_mac)
		return -EOPNOTSUPP;
	memcpy(mac, r.mac, 6);
	return 0;
}

int nl_link_mtu(int ifindex)
{
	struct link_reply r = { 0 };
	int err = link_get(ifindex, &r);

	return err ? err : r.mtu > 0 ? r.mtu : -EOPNOTSUPP;
}

/* XDP features, from the "netdev" generic netlink family (the kernel's
 * include/uapi/linux/netdev.h, which older distribution headers lack). */
#define NL_NETDEV_FAMILY "netdev"
#define NL_NETDEV_CMD_DEV_GET 1
#define NL_NETDEV_A_DEV_IFINDEX 1
#define NL_NETDEV_A_DEV_XDP_FEATURES 3
#define NL_NETDEV_A_DEV_MAX 3

struct genl_reply {
	bool found;
	__u16 family;
	__u64 features;
};

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[CTRL_ATTR_MAX + 1] = { NULL };
	struct nl_attrs a = { tb, CTRL_ATTR_MAX };
	struct genl_reply *r = data;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct genlmsghdr))
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(struct genlmsghdr), attr_cb, &a);
	if (tb[CTRL_ATTR_FAMILY_ID] && mnl_attr_get_payload_len(tb[CTRL_ATTR_FAMILY_ID]) == 2) {
		r->family = mnl_attr_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
		r->found = true;
	}
	return MNL_CB_OK;
}

static int dev_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *tb[NL_NETDEV_A_DEV_MAX + 1] = { NULL };
	struct nl_attrs a = { tb, NL_NETDEV_A_DEV_MAX };
	struct genl_reply *r = data;
	const struct nlattr *f;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct genlmsghdr))
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(struct genlmsghdr), attr_cb, &a);
	f = tb[NL_NETDEV_A_DEV_XDP_FEATURES];
	if (f && mnl_attr_get_payload_len(f) == 8) {
		r->features = mnl_attr_get_u64(f);
		r->found = true;
	}
	return MNL_CB_OK;
}

static struct nlmsghdr *genl_header(char *buf, __u16 type, __u8 cmd, __u8 version)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

int nl_xdp_features(int ifindex, __u64 *features)
{
	char buf[NL_REQ_SIZE] NL_ALIGNED;
	struct genl_reply fam = { 0 }, dev = { 0 };
	struct nlmsghdr *nlh;
	struct nl nl;
	int err;

	if (ifindex <= 0 || !features)
		return -EINVAL;
	err = nl_open_bus(&nl, NETLINK_GENERIC);
	if (err)
		return err;
	nlh = genl_header(buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, NL_NETDEV_FAMILY);
	err = nl_talk(&nl, nlh, family_cb, &fam);
	if (err == -ENOENT || (!err && !fam.found))
		err = -EOPNOTSUPP; /* a kernel before 6.3 says nothing about XDP features */
	if (!err) {
		nlh = genl_header(buf, fam.family, NL_NETDEV_CMD_DEV_GET, 1);
		mnl_attr_put_u32(nlh, NL_NETDEV_A_DEV_IFINDEX, (__u32)ifindex);
		err = nl_talk(&nl, nlh, dev_cb, &dev);
		if (!err && !dev.found)
			err = -EOPNOTSUPP;
	}
	nl_close(&nl);
	if (!err)
		*features = dev.features;
	return err;
}

int nl_reply_parse(enum nl_reply kind, const void *buf, size_t len, unsigned int seq,
		   unsigned int portid, struct nl_reply_info *out)
{
	struct route_reply route = { 0 };
	struct neigh_reply neigh = { 0 };
	struct link_reply link = { 0 };
	int ret;

	memset(out, 0, sizeof(*out));
	switch (kind) {
	case NL_REPLY_ROUTE:
		ret = reply_run(buf, len, seq, portid, route_cb, &route);
		out->found = route.found;
		out->type = route.type;
		out->ifindex = route.oif;
		out->has_gateway = route.gateway;
		break;
	case NL_REPLY_NEIGH:
		ret = reply_run(buf, len, seq, portid, neigh_cb, &neigh);
		out->found = neigh.found;
		out->state = neigh.state;
		out->has_mac = neigh.has_mac;
		memcpy(out->mac, neigh.mac, 6);
		break;
	case NL_REPLY_LINK:
		ret = reply_run(buf, len, seq, portid, link_cb, &link);
		out->found = link.found;
		out->has_mac = link.has_mac;
		memcpy(out->mac, link.mac, 6);
		break;
	default:
		return -EINVAL;
	}
	return ret;
}
