// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Every command with its documentation: the single source of `siobpf help`,
 * the README's command reference, the man page and the bash completion. */
#include "siobpf/table.h"
#include "announce_state.h"
#include "cli.h"

#define VIP_OPTIONS                                                                                \
	{"sticky", "ip|ip-port", "sticky key: client address (default) or address and port"},      \
	{"prefix", "N", "mask client addresses to N bits (default 32 for IPv4, 128 for IPv6)"},    \
	{"persist", "SECONDS", "sticky entry lifetime since the client was last seen, at most 1000000 (11.6 days; default 600; 0 keeps no entries)"}, \
	{"forward", "dsr", "forwarding mode (default dsr: L2 direct server return)"},              \
	{"seed", "N", "hash seed; nodes with equal seeds and backends choose alike (default 0)"},  \
	{"probe", "tcp|http|socketio|none", "health probe of `siobpf run` (default tcp)"},          \
	{"probe-path", "PATH", "path of the http probe (default /) or socketio probe (default /socket.io/)"}, \
	{"probe-method", "GET|HEAD|OPTIONS", "method of the http probe (default GET)"},          \
	{"probe-port", "N", "port to probe (default: the VIP's port)"},                           \
	{"probe-status", "N", "status the http probe expects (default 200)"},                     \
	{"interval", "MS", "probe interval in milliseconds (default 2000)"},                      \
	{"timeout", "MS", "probe timeout in milliseconds, at most the interval; unset, it is derived: the interval in force for each backend, capped at 1000"}, \
	{"rise", "N", "successes that bring a backend up (default 2)"},                           \
	{"fall", "N", "failures that take a backend down (default 3)"}

/* A backend's own probe settings, each overriding its VIP's (siobpf run). */
/* --at TIME of the commands that change backends (at.h). */
#define AT_OPTION                                                                                  \
	{"at", "TIME",                                                                             \
	 "make the change at this wall-clock moment, not now: @SECONDS[.FRACTION] or "             \
	 "YYYY-MM-DDTHH:MM:SS[.FRACTION]Z; nodes given one moment swap their rings together"}

#define BACKEND_PROBE_OPTIONS                                                                      \
	{"probe", "tcp|http|socketio|none", "this backend's probe instead of its VIP's"},          \
	{"probe-port", "N", "port to probe instead of the VIP's"},                                 \
	{"probe-path", "PATH", "path of the http or socketio probe"},                              \
	{"probe-status", "N", "status the http probe expects"},                                    \
	{"probe-method", "GET|HEAD|OPTIONS", "method of the http probe"},                          \
	{"interval", "MS", "probe interval in milliseconds"},                                      \
	{"timeout", "MS", "probe timeout in milliseconds, at most the interval in force; unset, the VIP's applies, or if that is unset too it is derived: the interval in force, capped at 1000"}, \
	{"rise", "N", "successes that bring the backend up"},                                      \
	{"fall", "N", "failures that take the backend down"}

/* The sticky table's size (siobpf/table.h): rated for N clients, two slots each. */
#define CLIENTS_OPTION                                                                             \
	{"clients", "N", "size the sticky table for N clients, 1 to 268435456 (default 1048576); "   \
			 "its buckets of four clients are rounded up to a power of two"}
_Static_assert(SIOBPF_MAX_CLIENTS == 268435456u && SIOBPF_CLIENTS == 1048576u,
	       "the help of --clients says the range and default");
_Static_assert(SIOBPF_PERSIST_MAX_SEC == 1000000u, "the help of --persist says the maximum");

const struct command commands[] = {
	{"load", "IFACE", 1, 1, "attach siobpf to an interface",
	 "Mounts bpffs if it is missing, creates or reuses the maps pinned in the pin "
	 "directory, and attaches the XDP program (native mode unless --mode generic). "
	 "The program takes multi-buffer frames (xdp.frags), so native mode works at a jumbo "
	 "MTU on drivers with multi-buffer XDP (veth among them). "
	 "Refused when siobpf is already attached to IFACE; use reload to replace it. "
	 "The sticky table is sized for --clients clients (16 bytes each: 16 MiB by default); "
	 "without it, maps already pinned keep their table's size. When they are pinned with a "
	 "table of another size, --clients resizes it: the entries are carried into a new table "
	 "under traffic (the count that found no room is printed) and every interface that uses "
	 "the maps gets the new program.",
	 {{"mode", "native|generic", "XDP attach mode (default native)"},
	  CLIENTS_OPTION,
	  {"pin-dir", "DIR", "where the maps are pinned (default " SIOBPF_DEFAULT_PIN_DIR ")"}},
	 cmd_load},
	{"reload", "IFACE", 1, 1, "replace the program on an interface, keeping all state",
	 "Loads the program from this binary with the pinned maps and swaps it in "
	 "atomically: VIPs, backends, rings, sticky entries and counters survive. This is "
	 "the upgrade path: maps pinned by an older siobpf (an older layout) are migrated "
	 "to new maps under traffic, and every interface that uses them gets the new program. "
	 "--clients resizes the sticky table the same way; without it the table keeps its size.",
	 {CLIENTS_OPTION,
	  {"pin-dir", "DIR", "where the maps are pinned"}},
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
	 "interface from the route to it; it must be on a directly connected network. "
	 "Frames leave by XDP_TX when that interface is the one they came in on, and are "
	 "redirected through a devmap otherwise: refused when siobpf runs in native mode "
	 "on another interface and this one cannot take redirected XDP frames now (its "
	 "driver offers no ndo_xdp_xmit; a veth offers it only while its peer has an XDP "
	 "program or GRO on). Generic mode takes any interface.",
	 {{"weight", "N", "relative share of new clients, 1 to 1000 (default 1)"},
	  {"state", "up|drain|down", "initial state (default up)"},
	  BACKEND_PROBE_OPTIONS,
	  AT_OPTION,
	  {"pin-dir", "DIR", "where the maps are pinned"}},
	 cmd_backend_add},
	{"backend set", "VIP ADDR", 2, 2, "change a backend's state, weight or probe",
	 "drain keeps the backend's sticky clients and gives it no new ones; down moves "
	 "its clients to the others; up takes new clients again. A drain ends by itself: "
	 "`siobpf run` takes the backend down (the operator's down) once the last live sticky "
	 "client it saw on it is gone, or when --drain-timeout passes; a drain that never had a "
	 "client waits for its deadline. A draining backend is still probed: failing, it goes "
	 "down and its clients move; recovering, it drains again. An operator's down holds: "
	 "the probe of `siobpf run` changes only a state it set itself. Another --state "
	 "clears the drain deadline. Probe options change the backend's own probe settings "
	 "field by field. --state up is refused, like an add, when the backend's egress "
	 "interface cannot take its frames (other changes are made, with a warning).",
	 {{"state", "up|drain|down", "new state"},
	  {"drain-timeout", "SECONDS", "with --state drain: `siobpf run` takes the backend down after SECONDS (1 to 2592000, 30 days) even if clients remain"},
	  {"weight", "N", "new weight, 1 to 1000"},
	  BACKEND_PROBE_OPTIONS,
	  {"probe-inherit", NULL, "drop the backend's own probe settings: its VIP's apply again"},
	  AT_OPTION,
	  {"pin-dir", "DIR", "where the maps are pinned"}},
	 cmd_backend_set},
	{"backend del", "VIP ADDR", 2, 2, "remove a backend; its clients move", NULL,
	 {AT_OPTION,
	  {"pin-dir", "DIR", "where the maps are pinned"}},
	 cmd_backend_del},
	{"status", "", 0, 0, "show VIPs, their settings and backends",
	 "Each backend shows its live sticky clients (clients; one read of the sticky table); a "
	 "drain with none left is drained, and a drain deadline shows how far off it is, or that it "
	 "passed and `siobpf run` takes the backend down. A backend whose egress interface "
	 "cannot take its frames now (checked live: a veth peer lost its XDP program, the "
	 "interface is gone) is flagged EGRESS PROBLEM, with why (egress_ok and "
	 "egress_problem in --json). The sticky table's line gives its buckets, memory, the "
	 "clients it is rated for (two slots each) and its held slots by kind (sticky_table in "
	 "--json). The announce line gives the VIP addresses `siobpf run --announce` holds in this "
	 "network namespace and whether `siobpf announce withdraw` took them off (announce in "
	 "--json; address_announced per VIP: its address is held, by it or another VIP).",
	 {{"json", NULL, "machine-readable output"},
	  {"pin-dir", "DIR", "where the maps are pinned"}},
	 cmd_status},
	{"stats", "", 0, 0, "show packet, byte and sticky counters",
	 "Counts per VIP and backend, and every reason a packet was passed or dropped. "
	 "Redirects the kernel then failed to send are counted per egress interface "
	 "(redirect errors: refused at once; xmit drops: dropped by the driver) and as "
	 "redirect_failed, not as redirect nor for their backend. "
	 "Admission per VIP: probation entries created, admitted (promoted to protected), "
	 "deferred, refused (not a connection start), full (no slot to take: both of the "
	 "client's buckets held by protected entries), raced (a slot write lost to another CPU); "
	 "misses, and those the previous ring decided; probation entries evicted by newer "
	 "clients. The sticky table's size and its held slots, protected and on probation "
	 "(sticky_table in --json). "
	 "When each VIP's ring last changed, as wall-clock time (ring_changed_unix in --json: "
	 "Unix seconds with a fraction, null when never), to compare the nodes' swaps. "
	 "The new-entry events: whether a reader turned them on, and the events written and "
	 "lost (the ring full) (entry_events in --json). "
	 "With --watch, prints rates every SECONDS until interrupted.",
	 {{"json", NULL, "machine-readable output"},
	  {"watch", "SECONDS", "repeat, with rates per second"},
	  {"pin-dir", "DIR", "where the maps are pinned"}},
	 cmd_stats},
	{"lookup", "VIP CLIENT[:PORT]", 2, 2, "which backend a client gets, and why",
	 "Computes the kernel's choice for a new connection from the pinned maps: the client's "
	 "live sticky entry (protected, or on probation and whether its next packet promotes it), "
	 "its age, its slot and bucket in the sticky table (home or alternative) and the time it "
	 "has left (bucket, index, alt and deadline_s in --json), or its ring slot. Nothing is "
	 "changed.",
	 {{"json", NULL, "machine-readable output"},
	  {"pin-dir", "DIR", "where the maps are pinned"}},
	 cmd_lookup},
	{"check", "", 0, 0, "verify the invariants of the pinned maps",
	 "Checks what every change keeps true: no backend record names a VIP that is not "
	 "published, no VIP has settings without being published, every VIP's ring is the one "
	 "its backends make (so it names only its own backends that take new clients), the VIP "
	 "index and address entries match the VIP table, no sticky entry belongs to a VIP "
	 "that is gone, and every interface a backend uses is in the egress devmap. Prints each problem and exits 1 if there is one. A command killed "
	 "between two of its writes can leave such problems: --repair finishes or undoes what it "
	 "left, and running the command again completes its change.",
	 {{"repair", NULL, "repair what is found (exit 0 when everything was repaired)"},
	  {"pin-dir", "DIR", "where the maps are pinned"}},
	 cmd_check},
	{"apply", "-f FILE", 0, 0, "make the running state match a configuration file",
	 "The file is YAML: VIPs with their settings and backends (see Configuration file in the "
	 "README). Only what differs is written: unchanged VIPs and backends keep their rings, sticky "
	 "entries and counters untouched; VIPs and backends not in the file are removed. A backend "
	 "whose state the file leaves out keeps its running one (its probe's). The whole file is "
	 "checked, and new backends resolved, before anything changes; a bad file is refused with its "
	 "line and column, and so is a new backend whose egress interface cannot take XDP frames "
	 "(as with backend add). With --at, the file is checked at once and applied at the "
	 "moment given: the same file and moment on every node of a group changes their "
	 "rings together, to within their clocks' skew.",
	 {{"file", "FILE", "the configuration; - reads standard input"},
	  {"dry-run", NULL, "print what would change, change nothing"},
	  AT_OPTION,
	  {"pin-dir", "DIR", "where the maps are pinned"}},
	 cmd_apply},
	{"save", "", 0, 0, "print the running configuration as YAML",
	 "The output is a file that apply takes as it is: applying it changes nothing.",
	 {{"pin-dir", "DIR", "where the maps are pinned"}},
	 cmd_save},
	{"run", "", 0, 0, "run the daemon: health probes, backend MACs, configuration, metrics",
	 "Stays in the foreground and logs to stderr, for systemd (siobpf@IFACE.service). Probes "
	 "every backend as its VIP says (or its own --probe settings): a backend that fails --fall "
	 "probes in a row goes down, one the probe took down comes back after --rise passes (up, or "
	 "drain if it was draining); an operator's down is never overridden. Ends drains: a "
	 "draining backend goes down once its last live sticky client is gone or its "
	 "--drain-timeout passes. Follows backend MAC changes in the "
	 "neighbour table and routes that move a backend to another interface (logged, with a "
	 "warning when that interface cannot take XDP frames; status flags it), and sees CLI changes within one probe interval. SIGHUP applies --config "
	 "again; SIGTERM stops the daemon and leaves the program attached and forwarding. The daemon "
	 "holds no data-path state: a restarted one carries on from the maps. "
	 "With --announce IFACE (lo, for a routing daemon on the node to export over BGP) it keeps "
	 "each VIP's address, a /32 or /128 shared by the VIPs that have it, on IFACE while the node is "
	 "ready (the program attached, the maps open) and one of those VIPs has a backend up, and "
	 "removes it otherwise, within one tick. It removes only addresses it added (marked with "
	 "the kernel's address protocol 115): an operator's address equal to a VIP's is left as it "
	 "is. SIGTERM leaves the addresses in place, so that a restart is invisible to the routers, "
	 "unless --withdraw-on-exit; `siobpf announce withdraw` drains the node.",
	 {{"config", "FILE", "apply this configuration file (see apply) at start and on SIGHUP"},
	  {"metrics", "[ADDR:]PORT", "serve Prometheus metrics on http://ADDR:PORT/metrics (ADDR: 127.0.0.1)"},
	  {"announce", "IFACE", "keep the addresses of ready VIPs on IFACE (refused when IFACE does not exist)"},
	  {"withdraw-on-exit", NULL, "with --announce: remove the addresses when the daemon stops"},
	  {"pin-dir", "DIR", "where the maps are pinned"}},
	 cmd_run},
	{"announce withdraw", "", 0, 0, "take this node's VIP addresses off: drain it from the routers",
	 "Records in " SIOBPF_RUN_DIR " that the VIP addresses are withdrawn, so that `siobpf run "
	 "--announce` keeps them off (even across a restart), and removes every address siobpf added "
	 "that is a VIP's of the pin directory's maps (every one it added when the maps are not there) "
	 "itself, daemon running or not; prints each. The routers drop this node within their BGP hold "
	 "time and the other nodes take its clients, which keep their backends when every node has the "
	 "same configuration.",
	 {{"pin-dir", "DIR", "where the maps are pinned"}},
	 cmd_announce_withdraw},
	{"announce resume", "", 0, 0, "announce this node's ready VIPs again",
	 "Undoes announce withdraw: `siobpf run --announce` puts the addresses of the ready VIPs back "
	 "within one tick.",
	 {{"pin-dir", "DIR", "where the maps are pinned"}},
	 cmd_announce_resume},
	{"help", "[COMMAND]", 0, 2, "show help",
	 "--markdown and --man print the command reference for the README and the man page; "
	 "--bash-completion prints the completion script that make install puts in bash's "
	 "completions directory.",
	 {{"markdown", NULL, "command reference as Markdown"},
	  {"man", NULL, "man page (troff)"},
	  {"bash-completion", NULL, "bash completion script (commands, options, values, VIPs)"},
	  {"pin-dir", "DIR", "accepted like every command's; unused"}},
	 cmd_help},
	{"version", "", 0, 0, "show the version", NULL,
	 {{"pin-dir", "DIR", "accepted like every command's; unused"}}, cmd_version},
};

const size_t command_count = sizeof(commands) / sizeof(commands[0]);

const struct cli_alias cli_aliases[] = {
	{"apply", 'f', "file"},
};

const size_t cli_alias_count = sizeof(cli_aliases) / sizeof(cli_aliases[0]);
