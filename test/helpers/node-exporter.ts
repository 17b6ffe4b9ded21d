// Starts a real prometheus-node-exporter on a free loopback port for a test, and stops it by pid.
import {spawn, type ChildProcess} from 'node:child_process';
import net from 'node:net';

export type RunningNodeExporter = {
	url: string;
	port: number;
	pid: number;
	stop(): Promise<void>;
};

export const nodeExporterBinary = process.env.NODE_EXPORTER_BIN ?? 'prometheus-node-exporter';

export async function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = net.createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const address = server.address();
			server.close(() => {
				if (address && typeof address === 'object') {
					resolve(address.port);
				} else {
					reject(new Error('no port'));
				}
			});
		});
	});
}

/** The exporter with only the collectors the dashboard reads: cpu, meminfo, loadavg, netdev, filesystem. */
export async function startNodeExporter(): Promise<RunningNodeExporter> {
	const port = await freePort();
	const child: ChildProcess = spawn(nodeExporterBinary, [
		`--web.listen-address=127.0.0.1:${port}`,
		'--collector.disable-defaults',
		'--collector.cpu',
		'--collector.meminfo',
		'--collector.loadavg',
		'--collector.netdev',
		'--collector.filesystem',
	], {stdio: ['ignore', 'ignore', 'pipe']});
	let stderr = '';
	child.stderr?.on('data', (chunk: Buffer) => {
		stderr = (stderr + chunk.toString('utf8')).slice(-4000);
	});
	const exited = new Promise<void>(resolve => {
		child.once('exit', () => {
			resolve();
		});
	});
	const url = `http://127.0.0.1:${port}/metrics`;
	const deadline = Date.now() + 10_000;
	for (;;) {
		if (child.exitCode !== null || child.signalCode !== null) {
			throw new Error(`${nodeExporterBinary} exited: ${stderr}`);
		}

		try {
			const response = await fetch(url, {signal: AbortSignal.timeout(1000)});
			await response.text();
			if (response.ok) {
				break;
			}
		} catch {
			// Not listening yet.
		}

		if (Date.now() > deadline) {
			process.kill(child.pid!, 'SIGKILL');
			throw new Error(`${nodeExporterBinary} did not answer on ${url} within 10 s: ${stderr}`);
		}

		await new Promise(resolve => setTimeout(resolve, 100));
	}

	return {
		url,
		port,
		pid: child.pid!,
		async stop() {
			if (child.exitCode === null && child.signalCode === null) {
				process.kill(child.pid!, 'SIGTERM');
			}

			await exited;
		},
	};
}
