// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Every command with its documentation: the single source of `siobpf help`,
 * the README's command reference and the man page. */
#include "cli.h"

#define VIP_OPTIONS                                                                                \
	{"sticky", "ip|ip-port", "sticky key: client address (default) or address and port"},      \
	{"prefix", "N", "mask client addresses to N bits (default 32 for IPv4, 128 for IPv6)"},    \
	{"persist", "SECONDS", "sticky entry lifetime since the client was last seen (default 600; 0 keeps no entries)"}, \
	{"forward", "dsr", "forwarding mode (default dsr: L2 direct server return)"},              \
	{"seed", "N", "hash seed; nodes with equal seeds and backends choose alike (default 0)"},  \
	{"probe", "tcp|http|socketio|none", "health probe of `siobpf run` (default tcp)"},          \
	{"probe-path", "PATH", "path of the http probe (default /)"},                             \
	{"probe-port", "N", "port to probe (default: the VIP's port)"},                           \
	{"probe-status", "N", "status the http probe expects (default 200)"},                     \
	{"interval", "MS", "probe interval in milliseconds (default 2000)"},                      \
	{"timeout", "MS", "probe timeout in milliseconds (default 1000, at most the interval)"},   \
	{"rise", "N", "successes that bring a backend up (default 2)"},                           \
	{"fall", "N", "failures that take a backend down (default 3)"}

const struct command commands[] = {
	{"load", "IFACE", 1, 1, "attach siobpf to an interface",
	 "Mounts bpffs if it is missing, creates or reuses the maps pinned in the pin "
	 "directory, and attaches the XDP program (native mode unless --mode generic). "
	 "Refused when siobpf is already attached to IFACE; use reload to replace it.",
	 {{"mode", "native|generic", "XDP attach mode (default native)"},
	  {"pin-dir", "DIR", "where the maps are pinned (default " SIOBPF_DEFAULT_PIN_DIR ")"}},
	 cmd_load},
	{"reload", "IFACE", 1, 1, "replace the program on an interface, keeping all state",
	 "Loads the program from this binary with the pinned maps and swaps it in "
	 "atomically: VIPs, backends, rings, sticky entries and counters survive. This is "
	 "the upgrade path.",
	 {{"pin-dir", "DIR", "where the maps are pinned"}},
	 cmd_reload},
	{"unload", "IFACE", 1, 1, "detach siobpf from an interface",
	 "Detaches the program; removes the pins once no interface uses them.",
	 {{"pin-dir", "DIR", "where the maps are pinned"}},
	 cmd_unload},
	{"vip add", "VIP", 1, 1, "add a virtual service",
	 "VIP is ADDR:PORT or [IPv6]:PORT with an optional /tcp (default) or /udp.",
	 {VIP_OPTIONS, {"pin-dir", "DIR", "where the maps are pinned"}},
	 cmd_vip_add},
	{"vip set", "VIP", 1, 1, "change a virtual service in place",
	 "Options not given keep their value. Sticky entries survive unless --sticky or "
	 "--prefix changes the key.",
	 {VIP_OPTIONS, {"pin-dir", "DIR", "where the maps are pinned"}},
	 cmd_vip_set},
	{"vip del", "VIP", 1, 1, "remove a virtual service and its backends", NULL,
	 {{"pin-dir", "DIR", "where the maps are pinned"}},
	 cmd_vip_del},
	{"backend add", "VIP ADDR", 2, 2, "add a backend to a VIP",
	 "The backend's MAC comes from the neighbour table (resolved if absent) and its "
	 "interface from the route to it; it must be on a directly connected network.",
	 {{"weight", "N", "relative share of new clients, 1 to 1000 (default 1)"},
	  {"state", "up|drain|down", "initial state (default up)"},
	  {"pin-dir", "DIR", "where the maps are pinned"}},
	 cmd_backend_add},
	{"backend set", "VIP ADDR", 2, 2, "change a backend's state or weight",
	 "drain keeps the backend's sticky clients and gives it no new ones; down moves "
	 "its clients to the others; up takes new clients again.",
	 {{"state", "up|drain|down", "new state"},
	  {"weight", "N", "new weight, 1 to 1000"},
	  {"pin-dir", "DIR", "where the maps are pinned"}},
	 cmd_backend_set},
	{"backend del", "VIP ADDR", 2, 2, "remove a backend; its clients move", NULL,
	 {{"pin-dir", "DIR", "where the maps are pinned"}},
	 cmd_backend_del},
	{"status", "", 0, 0, "show VIPs, their settings and backends", NULL,
	 {{"json", NULL, "machine-readable output"},
	  {"pin-dir", "DIR", "where the maps are pinned"}},
	 cmd_status},
	{"stats", "", 0, 0, "show packet, byte and sticky counters",
	 "Counts per VIP and backend, and every reason a packet was passed or dropped. "
	 "With --watch, prints rates every SECONDS until interrupted.",
	 {{"json", NULL, "machine-readable output"},
	  {"watch", "SECONDS", "repeat, with rates per second"},
	  {"pin-dir", "DIR", "where the maps are pinned"}},
	 cmd_stats},
	{"lookup", "VIP CLIENT[:PORT]", 2, 2, "which backend a client gets, and why",
	 "Computes the kernel's choice from the pinned maps: the client's live sticky "
	 "entry and its age, or its ring slot. Nothing is changed.",
	 {{"json", NULL, "machine-readable output"},
	  {"pin-dir", "DIR", "where the maps are pinned"}},
	 cmd_lookup},
	{"help", "[COMMAND]", 0, 2, "show help",
	 "--markdown and --man print the command reference for the README and the man page.",
	 {{"markdown", NULL, "command reference as Markdown"}, {"man", NULL, "man page (troff)"}},
	 cmd_help},
	{"version", "", 0, 0, "show the version", NULL, {{0}}, cmd_version},
};

const size_t command_count = sizeof(commands) / sizeof(commands[0]);
