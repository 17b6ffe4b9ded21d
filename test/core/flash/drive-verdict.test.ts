// lsblk output of other machines (USB card reader, internal mmc reader, NVMe, util-linux 2.31) and the verdict on each disk.
import {chmod, readFile, writeFile} from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import {findDevice, isSystemMountpoint, judgeDrive, largeDriveBytes, offeredDevices, refusalLine, type DriveAssessment} from '../../../source/core/flash/drive-verdict.js';
import {parseLsblkJson, runLsblk, type BlockDevice} from '../../../source/core/flash/lsblk.js';
import {tempDir} from './test-images.js';

const fixtures = new URL('../../fixtures/lsblk/', import.meta.url);

async function fixture(name: string): Promise<BlockDevice[]> {
	return parseLsblkJson(await readFile(new URL(name, fixtures), 'utf8'));
}

function verdicts(devices: BlockDevice[], showAll = false): Record<string, Pick<DriveAssessment, 'verdict'> & {reasons: string[]}> {
	return Object.fromEntries(offeredDevices(devices, showAll).map(device => {
		const assessment = judgeDrive(device, {imageSize: 2_000_000_000});
		return [device.path, {verdict: assessment.verdict, reasons: assessment.reasons.map(reason => reason.text)}];
	}));
}

test('a USB card reader with an automounted card, next to the NVMe system disk', async t => {
	const devices = await fixture('usb-card-reader.json');
	const reader = devices[0];
	t.like(reader, {path: '/dev/sdb', type: 'disk', size: 31_914_983_424, removable: true, hotplug: true, transport: 'usb', model: 'STORAGE DEVICE', vendor: 'Generic-'});
	t.deepEqual(reader.subsystems, ['block', 'scsi', 'usb', 'pci']);
	t.deepEqual(reader.children.map(child => child.mountpoints), [['/media/anna/bootfs'], ['/media/anna/rootfs']]);
	t.deepEqual(verdicts(devices), {
		'/dev/sdb': {verdict: 'warn', reasons: ['mounted at /media/anna/bootfs', 'mounted at /media/anna/rootfs']},
		'/dev/nvme0n1': {verdict: 'refuse', reasons: ['mounted at /boot/efi', 'mounted at /', 'in use as swap', 'is not removable (an internal disk?)', 'is larger than 128 GB (512 GB): a backup disk?']},
	});
	t.true(judgeDrive(reader).canUnmount, 'the wizard offers to unmount the card');
	t.false(judgeDrive(devices[1]).canUnmount);
});

test('an internal mmc reader (no RM flag, mmc subsystem) and a write-protected card', async t => {
	const devices = await fixture('internal-mmc-reader.json');
	t.deepEqual(verdicts(devices), {
		'/dev/sda': {verdict: 'refuse', reasons: ['mounted at /boot', 'mounted at /home', 'mounted at /', 'is not removable (an internal disk?)', 'is larger than 128 GB (256 GB): a backup disk?']},
		'/dev/mmcblk0': {verdict: 'ok', reasons: []},
		'/dev/mmcblk1': {verdict: 'refuse', reasons: ['is read-only (write-protect switch?)']},
	});
	t.is(findDevice(devices, '/dev/mapper/luks-root')?.type, 'crypt');
});

test('an NVMe workstation: a data disk warns, a USB stick is fine, loop, zram and DVD only with --show-all', async t => {
	const devices = await fixture('nvme-workstation.json');
	t.deepEqual(verdicts(devices), {
		'/dev/sdc': {verdict: 'ok', reasons: []},
		'/dev/nvme0n1': {verdict: 'refuse', reasons: ['mounted at /boot/efi', 'mounted at /var/lib/docker/btrfs', 'mounted at /home', 'mounted at /', 'is not removable (an internal disk?)', 'is larger than 128 GB (1.0 TB): a backup disk?']},
		'/dev/nvme1n1': {verdict: 'warn', reasons: ['is not removable (an internal disk?)', 'is larger than 128 GB (2.0 TB): a backup disk?', 'mounted at /data']},
	});
	t.deepEqual(Object.keys(verdicts(devices, true)), ['/dev/loop0', '/dev/sdc', '/dev/sr0', '/dev/zram0', '/dev/nvme0n1', '/dev/nvme1n1']);
	t.is(verdicts(devices, true)['/dev/sr0'].verdict, 'refuse', 'an optical drive is not a disk');
	t.is(verdicts(devices, true)['/dev/zram0'].verdict, 'refuse', 'zram in use as swap');
});

test('util-linux 2.31 prints every value as a string and one MOUNTPOINT', async t => {
	const devices = await fixture('old-util-linux-2.31.json');
	const card = devices[1];
	t.like(card, {path: '/dev/sdb', size: 7_948_206_080, removable: true, hotplug: true, readOnly: false, model: 'SD/MMC', vendor: 'Generic'});
	t.deepEqual(card.subsystems, []);
	t.deepEqual(card.children[0].mountpoints, ['/media/pi/boot']);
	t.deepEqual(card.children[1].mountpoints, []);
	t.deepEqual(verdicts(devices), {
		'/dev/sda': {verdict: 'refuse', reasons: ['mounted at /boot/efi', 'mounted at /', 'is not removable (an internal disk?)', 'is larger than 128 GB (500 GB): a backup disk?']},
		'/dev/sdb': {verdict: 'warn', reasons: ['mounted at /media/pi/boot']},
		'/dev/sdc': {verdict: 'refuse', reasons: ['has no medium (no card in the reader?)']},
	});
});

test('an older lsblk that does not know a column is asked again without it', async t => {
	const dir = await tempDir(t);
	const oldLsblk = path.join(dir, 'lsblk');
	const json = await readFile(new URL('old-util-linux-2.31.json', fixtures), 'utf8');
	await writeFile(path.join(dir, 'old.json'), json);
	// Behaves like util-linux 2.31: no MOUNTPOINTS, PATH or SUBSYSTEMS columns.
	await writeFile(oldLsblk, `#!/bin/sh
echo "$@" >> "${dir}/calls"
case "$*" in
*MOUNTPOINTS*) echo "lsblk: unknown column: MOUNTPOINTS" >&2; exit 1 ;;
*PATH*) echo "lsblk: unknown column: PATH" >&2; exit 1 ;;
*SUBSYSTEMS*) echo "lsblk: unknown column: SUBSYSTEMS" >&2; exit 1 ;;
esac
cat "${dir}/old.json"
`);
	await chmod(oldLsblk, 0o755);
	const devices = await runLsblk({command: oldLsblk});
	t.is(devices.length, 3);
	const calls = (await readFile(path.join(dir, 'calls'), 'utf8')).trim().split('\n');
	t.is(calls.length, 4);
	t.regex(calls[3], /--output NAME,TYPE,SIZE,RM,HOTPLUG,RO,TRAN,MODEL,VENDOR,MOUNTPOINT,FSTYPE,LABEL,MAJ:MIN$/);
	const missing = await t.throwsAsync(runLsblk({command: path.join(dir, 'none')}));
	t.regex(missing?.message ?? '', /^lsblk failed|lsblk is not installed/);
});

const card: BlockDevice = {
	name: '/dev/sdb', path: '/dev/sdb', type: 'disk', size: 31_914_983_424, removable: true, hotplug: true, readOnly: false,
	transport: 'usb', subsystems: ['block', 'scsi', 'usb'], model: 'STORAGE DEVICE', vendor: 'Generic-', mountpoints: [],
	fstype: '', label: '', majMin: '8:16', children: [
		{name: '/dev/sdb1', path: '/dev/sdb1', type: 'part', size: 31_914_983_424, removable: true, hotplug: true, readOnly: false, transport: '', subsystems: [], model: '', vendor: '', mountpoints: [], fstype: 'vfat', label: '', majMin: '8:17', children: []},
	],
};

test('verdict reasons: too small, holds the image, holds the running system, a partition', t => {
	t.is(judgeDrive(card, {imageSize: 2e9}).verdict, 'ok');
	t.deepEqual(judgeDrive(card, {imageSize: 64e9}).reasons.map(reason => reason.text), ['is smaller than the image (31.9 GB < 64.0 GB)']);
	const holding = judgeDrive(card, {imagePath: '/media/x/gokrazy.img', imageHolders: new Set(['/dev/sdb1'])});
	t.is(holding.verdict, 'refuse');
	t.deepEqual(holding.reasons.map(reason => reason.code), ['holds-image']);
	// A container whose lsblk shows no mounts: the st_dev of / still points at the disk.
	t.deepEqual(judgeDrive(card, {systemDeviceNumbers: new Set(['8:17'])}).reasons.map(reason => reason.text), ['holds the running system']);
	t.deepEqual(judgeDrive(card.children[0]).reasons.map(reason => reason.text), ['is a partition, not a whole disk']);
});

test('which mountpoints belong to the running system', t => {
	for (const system of ['/', '[SWAP]', '/boot', '/boot/firmware', '/usr', '/var/lib/docker', '/home', '/home/anna', '/nix/store']) {
		t.true(isSystemMountpoint(system), system);
	}

	for (const media of ['/media/anna/bootfs', '/run/media/anna/rootfs', '/mnt/card', '/data', '/home/anna/sdcard', '/tmp/x', '/mnt/home/anna', '/media/home/card']) {
		t.false(isSystemMountpoint(media), media);
	}
});

/** A top-level disk like `card`, with the fields a test changes. */
function disk(fields: Partial<BlockDevice>): BlockDevice {
	return {...card, children: [], ...fields};
}

function reasonTexts(device: BlockDevice, context = {}): string[] {
	return judgeDrive(device, context).reasons.map(reason => reason.text);
}

test('a reader is removable by any one sign: RM, hotplug, a card subsystem, or a USB or MMC transport (util-linux 2.31 has no subsystems)', t => {
	const internal = {removable: false, hotplug: false, transport: '', subsystems: ['block', 'scsi', 'pci']};
	t.deepEqual(reasonTexts(disk(internal)), ['is not removable (an internal disk?)']);
	const signs: Array<[string, Partial<BlockDevice>]> = [
		['RM only', {removable: true}],
		['hotplug only', {hotplug: true}],
		['usb subsystem', {subsystems: ['block', 'scsi', 'usb', 'pci']}],
		['mmc subsystem', {subsystems: ['block', 'mmc', 'mmc_host', 'pci']}],
		['sdio subsystem', {subsystems: ['block', 'sdio']}],
		['memstick subsystem', {subsystems: ['block', 'memstick', 'pci']}],
		['usb transport, no subsystems', {transport: 'usb', subsystems: []}],
		['mmc transport, no subsystems', {transport: 'mmc', subsystems: []}],
	];
	for (const [sign, fields] of signs) {
		t.deepEqual(reasonTexts(disk({...internal, ...fields})), [], sign);
	}
});

test('a loop device (--show-all) is a whole disk and needs no removable flag; ram disks of any number are hidden', t => {
	const loop = disk({name: '/dev/loop7', path: '/dev/loop7', type: 'loop', removable: false, hotplug: false, transport: '', subsystems: ['block']});
	t.deepEqual(judgeDrive(loop, {imageSize: 2e9}), {device: loop, verdict: 'ok', reasons: [], mounted: [], canUnmount: false});
	t.deepEqual(offeredDevices([loop], false), []);
	const ram = ['/dev/zram0', '/dev/zram12', '/dev/ram15', 'zram0', 'ram1'].map(name => disk({name, path: name.startsWith('/') ? name : `/dev/${name}`}));
	t.deepEqual(offeredDevices([...ram, card], false), [card]);
	t.is(offeredDevices([...ram, card], true).length, 6);
});

test('what is not a whole disk says what it is', t => {
	t.deepEqual(reasonTexts(disk({name: '/dev/sr0', path: '/dev/sr0', type: 'rom'})), ['is a rom, not a whole disk']);
	t.deepEqual(reasonTexts(disk({type: 'crypt'})), ['is a crypt, not a whole disk']);
	t.deepEqual(reasonTexts(disk({type: ''})), ['is a device, not a whole disk']);
});

test('a card exactly the image\'s size takes it; one of exactly 128 GB is not called large', t => {
	t.is(judgeDrive(card, {imageSize: card.size}).verdict, 'ok');
	t.deepEqual(judgeDrive(card, {imageSize: card.size + 1}).reasons.map(reason => reason.code), ['too-small']);
	t.deepEqual(reasonTexts(disk({size: largeDriveBytes})), []);
	t.deepEqual(judgeDrive(disk({size: largeDriveBytes + 1})).reasons.map(reason => reason.code), ['large']);
});

test('the image file and the running system are reasons only on the devices that hold them', t => {
	t.is(judgeDrive(card, {imageHolders: new Set(['/dev/nvme0n1p2']), systemDeviceNumbers: new Set(['259:2'])}).verdict, 'ok');
	t.deepEqual(reasonTexts(card, {imagePath: '/media/x/gokrazy.img', imageHolders: new Set(['/dev/sdb1'])}), ['holds the image file /media/x/gokrazy.img']);
	t.deepEqual(reasonTexts(card, {imageHolders: new Set(['/dev/sdb'])}), ['holds the image file']);
	// Mounted at /: that line says it all, "holds the running system" is not said twice.
	const root = disk({children: [{...card.children[0]!, mountpoints: ['/']}]});
	t.deepEqual(reasonTexts(root, {systemDeviceNumbers: new Set(['8:17'])}), ['mounted at /']);
});

test('unmounting is offered only for a device with mounts, none of them the running system\'s', t => {
	t.false(judgeDrive(card).canUnmount, 'nothing mounted');
	const media = {...card.children[0]!, mountpoints: ['/media/anna/card']};
	t.true(judgeDrive(disk({children: [media]})).canUnmount);
	const both = disk({children: [media, {...card.children[0]!, name: '/dev/sdb2', path: '/dev/sdb2', majMin: '8:18', mountpoints: ['/']}]});
	t.false(judgeDrive(both).canUnmount, 'one partition is /');
	t.deepEqual(judgeDrive(both).mounted, ['/media/anna/card', '/']);
});

test('the refusal line names the device and its refusals only, not its warnings', t => {
	const assessment = judgeDrive(disk({removable: false, hotplug: false, transport: '', subsystems: [], readOnly: true, size: 0}));
	t.is(assessment.reasons.length, 3, 'read-only, no medium and not removable');
	t.is(refusalLine(assessment), '/dev/sdb: is read-only (write-protect switch?), has no medium (no card in the reader?), refusing');
});

test('a device is found by its path or by its lsblk name, partitions included', t => {
	// lsblk without --paths names devices without /dev/; the path is made from the name.
	const devices = parseLsblkJson(JSON.stringify({blockdevices: [{name: 'sdb', type: 'disk', size: 1e9, children: [{name: 'sdb1', type: 'part', size: 1e9}]}]}));
	t.is(findDevice(devices, '/dev/sdb')?.type, 'disk');
	t.is(findDevice(devices, 'sdb')?.type, 'disk');
	t.is(findDevice(devices, '/dev/sdb1')?.name, 'sdb1');
	t.is(findDevice(devices, '/dev/sdc'), undefined);
});
