// What the demo device reports about "its" hardware, read from this machine as the init reads it on a Pi.
import {readFileSync, statfsSync} from 'node:fs';
import os from 'node:os';
import net from 'node:net';

/** /proc/<pid>/statm resident pages × 4096, 0 when unreadable (as the init's rssOfPid). */
export function rssOfPid(pid: number): number {
	try {
		const parts = readFileSync(`/proc/${pid}/statm`, 'latin1').trim().split(' ');
		const pages = Number(parts[1]);
		return Number.isFinite(pages) ? pages * 4096 : 0;
	} catch {
		return 0;
	}
}

/** MemTotal and MemAvailable in bytes, as the init's parseMeminfo. */
export function readMeminfo(): {MemTotal: number; MemAvailable: number} {
	const values = {MemTotal: 0, MemAvailable: 0};
	try {
		for (const line of readFileSync('/proc/meminfo', 'latin1').split('\n')) {
			const match = /^(MemTotal|MemAvailable):\s*(\d+)/.exec(line);
			if (match) {
				values[match[1] as keyof typeof values] = Number(match[2]) * 1024;
			}
		}
	} catch {
		// Not Linux: the device then reports zeros, as the init does when /proc is missing.
	}

	return values;
}

export type DiskUsage = {used: number; avail: number; total: number};

/** statfs of the device's /perm: Bsize × (Blocks − Bfree), Bsize × Bavail, Bsize × Blocks. */
export function diskUsage(dir: string): DiskUsage {
	try {
		const stats = statfsSync(dir);
		return {used: stats.bsize * (stats.blocks - stats.bfree), avail: stats.bsize * stats.bavail, total: stats.bsize * stats.blocks};
	} catch {
		return {used: 0, avail: 0, total: 0};
	}
}

/** "Linux 6.6.28-v8 (aarch64)". */
export function kernelDescription(): string {
	return `${os.type()} ${os.release()} (${os.machine()})`;
}

function ipv4Number(address: string): number {
	return address.split('.').reduce((value, part) => value * 256 + Number(part), 0);
}

function inRange(address: string, base: string, bits: number): boolean {
	const size = 2 ** (32 - bits);
	return Math.floor(ipv4Number(address) / size) === Math.floor(ipv4Number(base) / size);
}

/** gokrazy's notion of private: RFC 1918, loopback, link-local, ULA, and Tailscale's CGNAT range. */
export function isPrivateAddress(address: string): boolean {
	if (net.isIPv4(address)) {
		return (
			inRange(address, '10.0.0.0', 8) ||
			inRange(address, '172.16.0.0', 12) ||
			inRange(address, '192.168.0.0', 16) ||
			inRange(address, '127.0.0.0', 8) ||
			inRange(address, '169.254.0.0', 16) ||
			inRange(address, '100.64.0.0', 10)
		);
	}

	const lower = address.toLowerCase();
	return lower === '::1' || /^f[cd]/.test(lower) || /^fe[89ab]/.test(lower);
}

/** The machine's addresses in interface order, split as the init splits them; link-local IPv6 carries its %interface. */
export function interfaceAddresses(): {privateAddrs: string[]; publicAddrs: string[]} {
	const privateAddrs: string[] = [];
	const publicAddrs: string[] = [];
	for (const [name, infos] of Object.entries(os.networkInterfaces())) {
		for (const info of infos ?? []) {
			const address = info.family === 'IPv6' && /^fe80/i.test(info.address) ? `${info.address}%${name}` : info.address;
			(isPrivateAddress(info.address) ? privateAddrs : publicAddrs).push(address);
		}
	}

	return {privateAddrs, publicAddrs};
}
