// /user/breakglass in the demo: exits 125 on its first start as the real one does (so it stays stopped after boot), else serves SSH.

if (process.env.GOKRAZY_FIRST_START === '1') {
	process.exit(125);
}

function flag(name: string): string | undefined {
	const prefix = `-${name}=`;
	return process.argv
		.slice(2)
		.find(argument => argument.startsWith(prefix))
		?.slice(prefix.length);
}

const port = Number(flag('port') ?? 22);
const authorizedKeysPath = flag('authorized_keys') ?? '/perm/breakglass.authorized_keys';
const environment = process.env;

// The supervisor keeps stdin open: EOF means the demo device is gone, and so is breakglass.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();

const {runBreakglassServer} = await import('../breakglass-server.js');
await runBreakglassServer({
	host: environment.KRAZY_DEMO_SSH_HOST ?? '127.0.0.1',
	port,
	hostKeyPath: environment.KRAZY_DEMO_HOST_KEY ?? '/perm/breakglass.host_key',
	authorizedKeysPath,
	home: environment.KRAZY_DEMO_HOME,
	tmpDir: environment.KRAZY_DEMO_TMP,
	banner: {
		hostname: environment.KRAZY_DEMO_HOSTNAME ?? 'gokrazy',
		model: environment.KRAZY_DEMO_MODEL ?? '',
		build: environment.KRAZY_DEMO_BUILD ?? '',
	},
});
