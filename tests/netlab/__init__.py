"""Network laboratory for tests and benchmarks: a fault-injecting link emulator and an nginx front.

Everything here listens on 127.0.0.1 only. `fault_proxy.FaultProxy` emulates a thin,
unreliable link (delay, bandwidth, resets, stalls, truncated bodies, latency spikes);
`nginx_front.NginxFront` puts Debian's nginx with gzip in front of the FHIR server.
"""
