// gok's stand-in for tests: `overwrite --gaf` prints gok's progress lines (internal/packer/packer.go) and writes a real gaf
// (a copy of KRAZY_FAKE_GOK_GAF); `sbom --format hash` prints KRAZY_FAKE_GOK_SBOM_HASH. Every call is logged as a JSON line
// to KRAZY_FAKE_GOK_LOG (args and working directory). KRAZY_FAKE_GOK_FAIL=1 fails the build as a real one can;
// KRAZY_FAKE_GOK_SLEEP_MS makes the build take that long.
import {appendFileSync, copyFileSync, existsSync, readFileSync} from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
const env = process.env;
if (env.KRAZY_FAKE_GOK_LOG) {
	appendFileSync(env.KRAZY_FAKE_GOK_LOG, `${JSON.stringify({args, cwd: process.cwd()})}\n`);
}

const flag = name => {
	const at = args.indexOf(name);
	return at === -1 ? undefined : args[at + 1];
};

const instance = flag('-i') ?? 'hello';
const parentDir = flag('--parent_dir') ?? path.join(env.HOME ?? '', 'gokrazy');
const configPath = path.join(parentDir, instance, 'config.json');
if (!existsSync(configPath)) {
	console.error(`Error: open ${configPath}: no such file or directory`);
	process.exit(1);
}

const sleep = ms => new Promise(resolve => setTimeout(resolve, ms));

if (args[0] === 'sbom') {
	if (env.KRAZY_FAKE_GOK_FAIL) {
		console.error('Error: build directory "builddir/github.com/gokrazy/hello" does not exist');
		process.exit(1);
	}

	console.log(env.KRAZY_FAKE_GOK_SBOM_HASH ?? '');
	process.exit(0);
}

if (args[0] !== 'overwrite' || flag('--gaf') === undefined) {
	console.error(`fake gok: unsupported call: ${args.join(' ')}`);
	process.exit(2);
}

const out = flag('--gaf');
console.log(`gokrazy gok 0.0.0-krazy-tui-stand-in on GOARCH=${process.arch === 'x64' ? 'amd64' : process.arch} GOOS=linux`);
console.log('');
console.log('Building 1 Go packages:');
console.log('');
console.log('  github.com/gokrazy/hello');
console.log('');
await sleep(Number(env.KRAZY_FAKE_GOK_SLEEP_MS ?? 0));
if (env.KRAZY_FAKE_GOK_FAIL) {
	console.error('go: github.com/gokrazy/hello@v0.0.0-20240101000000-abcdef: missing go.sum entry for go.mod file; to add it:');
	console.error('\tgo mod download github.com/gokrazy/hello');
	console.error('build failed: exit status 1');
	process.exit(1);
}

console.log('');
console.log('Feature summary:');
console.log('  use GPT: false');
console.log('  use PARTUUID: true');
console.log('  use GPT PARTUUID: false');
copyFileSync(env.KRAZY_FAKE_GOK_GAF, out);
console.log('');
console.log('Build complete!');
console.log('');
console.log('To interact with the device, gokrazy provides a web interface reachable at:');
console.log('');
// gok prints the password here: krazy-tui must not pass it on.
const config = JSON.parse(readFileSync(configPath, 'utf8'));
console.log(`\thttp://gokrazy:${config.Update?.HTTPPassword ?? ''}@${config.Hostname ?? instance}/`);
