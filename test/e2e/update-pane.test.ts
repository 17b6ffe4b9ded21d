// The dashboard's update loop end to end in tmux against the demo device: u → the archive → confirm → push → back with
// the new build → the health gate's verdict, then the row saying how it ended. Runs the built CLI
// (`npm test` builds first; alone: `npm run build && npx ava test/e2e/update-pane.test.ts`).
import {mkdtempSync, rmSync} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {fileURLToPath} from 'node:url';
import test from 'ava';
import {makeDemoArchives} from '../../source/demo/demo-archives.js';
import {sbomJson} from '../../source/demo/demo-build.js';
import {startDemoDevice} from '../../source/demo/demo-device.js';
import {UpdateRecords} from '../../source/core/update/update-records.js';
import {TmuxSession} from '../helpers/tmux.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const configDir = mkdtempSync(path.join(os.tmpdir(), 'krazy-e2e-update-'));
test.after.always(() => {
	rmSync(configDir, {recursive: true, force: true});
});

test('u → archive → y → push → back → the gate passes, in the pane and then on the row', async t => {
	const demo = await startDemoDevice({rebootDowntimeMs: 1500, hostname: 'casa'});
	const archives = await makeDemoArchives(demo);
	// As `krazy-tui demo` does: krazy-tui knows the SBOM of the build the demo runs, so the plan lists package changes.
	await new UpdateRecords(path.join(configDir, 'updates')).rememberSbom(sbomJson(archives.runningSbom));
	const tmux = await TmuxSession.start({
		command: ['node', 'dist/cli.js', '--poll-interval', '0.5', '--settle', '3', demo.url],
		cwd: root,
		columns: 120,
		rows: 36,
		env: {KRAZY_TUI_CONFIG_DIR: configDir},
	});
	t.teardown(async () => {
		await tmux.kill();
		await demo.stop();
	});
	await tmux.waitForText(text => text.includes('● online') && text.includes('/user/golink'), 30_000);
	await tmux.sendKeys('u');
	await tmux.waitForText('archive for 127.0.0.1');
	await tmux.type(archives.good);
	await tmux.sendKeys('Enter');
	let screen = await tmux.waitForText(/Update 127\.0\.0\.1:\d+ to build/, 20_000);
	t.regex(screen, /packages {2}\+github\.com\/gokrazy\/hello/);
	await tmux.sendKeys('y');
	// The way back is watched: the device goes away for its reboot and comes back with the new build.
	screen = await tmux.waitForText(/reboot {4}(away \d+ s|rebooting|back after)/, 30_000);
	screen = await tmux.waitForText('✓ health gate passed', 60_000);
	t.regex(screen, /root +[\d.]+ [kM]?B in .*✓ SHA-256 matches the device's/);
	t.regex(screen, /back after \d+ s: build \d\d:\d\d(?::\d\d)? → \d\d:\d\d(?::\d\d)?/);
	t.regex(screen, /\/user\/hello +— +(running|restarting) \d+ +.*ok \(new\)/);
	t.false(screen.includes(demo.password), 'the password is never shown');
	await tmux.sendKeys('Escape');
	screen = await tmux.waitForText(/updated: build \d\d:\d\d(?::\d\d)? → \d\d:\d\d(?::\d\d)? ✓ gate/, 10_000);
	t.regex(screen, /\/user\/hello/, 'the new build\'s service is listed');
	const records = await new UpdateRecords(path.join(configDir, 'updates')).last(`127.0.0.1:${demo.port}`);
	t.is(records?.gate, 'passed');
	await tmux.sendKeys('q');
	t.is(await tmux.waitForExit(), 0);
});
