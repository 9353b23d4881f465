// Bad input as a person meets it at the command line: each class of input that once ended in
// "internal error", a crash, a hang or a silent acceptance must now exit 2 with one short
// message that names the file and the field (or byte) — and never say "internal error".
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const cli = process.env.TCPLAB_CLI ?? join(repoRoot, 'build/native/cli/tcplab');
const dir = mkdtempSync(join(tmpdir(), 'tcplab-bad-'));
const base = () => JSON.parse(readFileSync(join(repoRoot, 'tests/cli/fixtures/handshake.json'), 'utf8'));

function tcplab(args, { input, env } = {}) {
    assert.ok(existsSync(cli), `${cli} is missing: build it with \`cmake --workflow --preset native\``);
    const r = spawnSync(cli, args, {
        cwd: repoRoot,
        encoding: 'utf8',
        maxBuffer: 1 << 30,
        input,
        env: { ...process.env, ...env },
    });
    if (r.error) throw r.error;
    return r;
}

// Writes `text` (a string, or an object to serialise) to a file named `name` in a fresh folder.
function file(name, text) {
    const path = join(dir, name);
    writeFileSync(path, typeof text === 'string' ? text : JSON.stringify(text));
    return path;
}

// Runs the command on the file and checks the contract for bad input: exit 2, nothing on
// stdout, one short message on stderr naming the file and matching `where`.
function refused(args, path, where) {
    const r = tcplab([...args, path]);
    assert.equal(r.status, 2, `exit status ${r.status}; stderr:\n${r.stderr.slice(0, 2000)}`);
    assert.equal(r.stdout, '');
    assert.doesNotMatch(r.stderr, /internal error|AddressSanitizer|runtime error/);
    assert.ok(r.stderr.length < 400, `a ${r.stderr.length}-byte message:\n${r.stderr.slice(0, 600)}`);
    assert.ok(r.stderr.startsWith(`${path}: `), `the message names the file:\n${r.stderr}`);
    assert.match(r.stderr, where);
    return r.stderr;
}

// Replaces the JSON text of a placeholder string with raw text (numbers JSON.stringify cannot write).
const raw = (doc, placeholder, text) => JSON.stringify(doc).replace(`"${placeholder}"`, text);

test('a number a double cannot hold: exit 2 at its byte, not an escaping library exception', () => {
    const doc = base();
    doc.seed = 'SEED';
    refused(['run', '--json'], file('big-number.json', raw(doc, 'SEED', '1e400')), /: byte \d+: .*1e400/);
});

test('a seed of 100,000 digits: exit 2 and a message of a few hundred bytes, not 100 KB', () => {
    const doc = base();
    doc.seed = 'SEED';
    refused(['run'], file('long-seed.json', raw(doc, 'SEED', '9'.repeat(100000))), /: byte \d+: /);
});

test('a host without "ip" whose default address is taken: exit 2 at /hosts/<name>/ip', () => {
    const doc = base();
    doc.hosts = { a: { ip: '10.0.0.2' }, b: {} };
    doc.apps = [];
    refused(['run'], file('no-ip.json', doc), /: \/hosts\/b\/ip: expected an address/);
});

test('a sysctl of 1e300: exit 2 with its range (no float-to-integer overflow)', () => {
    const doc = base();
    doc.hosts.server.sysctl.tcp_fin_timeout = 'V';
    refused(['run'], file('sysctl.json', raw(doc, 'V', '1e300')),
        /: \/hosts\/server\/sysctl\/tcp_fin_timeout: expected an integer from 1 to 86400/);
});

test('a backlog of 18446744073709551615: exit 2, not read as -1', () => {
    const doc = base();
    doc.apps[0].steps[2].backlog = 'B';
    refused(['run'], file('backlog.json', raw(doc, 'B', '18446744073709551615')),
        /: \/apps\/0\/steps\/2\/backlog: expected an integer from -1 to 65535/);
});

test('JSON nested 100,000 deep: exit 2 at the byte that goes too deep, no stack overflow', () => {
    const deep = `{"tcplab":1,"notes":${'['.repeat(100000)}${']'.repeat(100000)},"hosts":{"a":{}}}`;
    refused(['run'], file('deep.json', deep), /: byte 84: .*limit "nesting depth"/);
    const lesson = `{"params":{},"scenario":{"notes":${'['.repeat(100000)}${']'.repeat(100000)}}}`;
    refused(['run'], file('deep-lesson.json', lesson), /limit "nesting depth"/);
});

test('an unknown profile: exit 2, at the top and per host', () => {
    const doc = base();
    doc.profile = 'solaris';
    refused(['run'], file('profile.json', doc), /: \/profile: expected "linux", "rfc", "windows" or "bsd"/);
    const host = base();
    host.hosts.client.profile = 'Linux';
    refused(['run'], file('host-profile.json', host), /: \/hosts\/client\/profile: expected/);
});

test('a socket handle used before the socket() that creates it: exit 2 at the step', () => {
    const doc = base();
    doc.apps[1].steps.unshift({ call: 'close', sock: 's' });
    refused(['run'], file('handle.json', doc),
        /: \/apps\/1\/steps\/0\/sock: handle "s" is used before the step that creates it \(\/apps\/1\/steps\/1\)/);
});

test('control characters in names: exit 2, the character shown escaped', () => {
    const doc = base();
    doc.apps[0].name = 's\u0000rv';
    const e = refused(['run'], file('nul.json', doc), /: \/apps\/0\/name: expected a string without control characters/);
    assert.ok(e.includes('\\u0000') && !e.includes('\u0000'), e);
    const host = base();
    host.hosts['cli\u0001'] = {};
    refused(['run'], file('nul-host.json', host), /: \/hosts\/cli\\u0001: /);
});

test('more hosts than the limit: exit 2 naming the limit; 1000 hosts run in well under a second', () => {
    const hosts = {};
    for (let i = 0; i < 1000; i++) hosts[`h${i}`] = {};
    const ok = tcplab(['run', '--json', file('hosts-1000.json', { tcplab: 1, hosts, until_ms: 10 })]);
    assert.equal(ok.status, 0, ok.stderr);
    hosts.more = {};
    refused(['run'], file('hosts-1001.json', { tcplab: 1, hosts }),
        /: \/hosts: expected at most 1000 hosts, found 1001 \(limit "hosts"\)/);
});

test('a bad host reference among many hosts names a few of them, not all', () => {
    const doc = base();
    for (let i = 0; i < 998; i++) doc.hosts[`host-number-${i}`] = { ip: `10.1.${i >> 7}.${(i & 127) + 1}` };
    doc.apps[1].host = 'nowhere';
    refused(['run'], file('bad-ref.json', doc), /: \/apps\/1\/host: unknown host "nowhere" \(hosts: .* and \d+ more\)/);
});

test('more apps than the limit: exit 2 naming the limit', () => {
    const apps = Array.from({ length: 100001 }, (_, i) => ({ name: `a${i}`, host: 'h', steps: [] }));
    refused(['run'], file('apps.json', { tcplab: 1, hosts: { h: {} }, apps }),
        /: \/apps: expected at most 100000 apps, found 100001 \(limit "apps"\)/);
});

// ASan reports a failed operator new instead of throwing std::bad_alloc, so this needs a build
// without it: TCPLAB_CLI_PLAIN, or the release preset's (scripts/test builds it).
const plainCli = process.env.TCPLAB_CLI_PLAIN ?? join(repoRoot, 'build/release/cli/tcplab');
const isAsan = (bin) =>
    spawnSync(bin, ['--version'], { env: { ...process.env, ASAN_OPTIONS: 'help=1' }, encoding: 'utf8' })
        .stderr.includes('allocator_may_return_null');
// The newest engine or CLI source: a binary older than it may not have the code under test.
const newestSource = Math.max(
    ...['core/src', 'core/include/tcplab', 'cli'].flatMap((d) =>
        readdirSync(join(repoRoot, d)).map((f) => statSync(join(repoRoot, d, f)).mtimeMs),
    ),
);
const oomSkip = !existsSync(plainCli)
    ? `${plainCli} is missing (build the release preset, or set TCPLAB_CLI_PLAIN)`
    : isAsan(plainCli)
      ? `${plainCli} is built with AddressSanitizer`
      : !process.env.TCPLAB_CLI_PLAIN && statSync(plainCli).mtimeMs < newestSource
        ? `${plainCli} is older than the sources (rebuild the release preset)`
        : false;

test('out of memory: exit 2 and a message, not an abort', { skip: oomSkip }, () => {
    // The run needs a 64 MiB string and more; the process may have 60 MB of address space.
    const doc = base();
    doc.apps[1].steps[2] = { call: 'send', sock: 's', bytes: 64 * 1024 * 1024 };
    const path = file('oom.json', doc);
    const r = spawnSync('sh', ['-c', `ulimit -v 60000; exec "$0" run --json "$1" >/dev/null`, plainCli, path], {
        encoding: 'utf8',
    });
    assert.equal(r.status, 2, `exit status ${r.status} (signal ${r.signal}); stderr:\n${r.stderr.slice(0, 1000)}`);
    assert.match(r.stderr, /memory/);
    assert.doesNotMatch(r.stderr, /internal error/);
    assert.ok(r.stderr.length < 400, r.stderr);
});

test('input over the size limit: refused before it is read whole', () => {
    const big = file('big.json', ' '.repeat(16 * 1024 * 1024 + 1));
    refused(['run'], big, /: byte 16777217: expected at most 16777216 bytes \(limit "input size"\)/);
});

test('simulated time over the limit: exit 2 at /until_ms', () => {
    const doc = base();
    doc.until_ms = 7 * 86400 * 1000 + 1;
    refused(['run'], file('until.json', doc), /: \/until_ms: expected at most 604800000 ms .*limit "simulated time"/);
});

test('tcplab lesson: deep nesting and overflowing numbers exit 2 with the byte; --check goes on', () => {
    const lesson = JSON.parse(readFileSync(join(repoRoot, 'lessons/handshake-close.json'), 'utf8'));
    lesson.scenario.notes = 'DEEP';
    const deep = file('deep-lesson.json', raw(lesson, 'DEEP', `${'['.repeat(100000)}${']'.repeat(100000)}`));
    refused(['lesson'], deep, /: byte \d+: .*limit "nesting depth"/);
    lesson.scenario.notes = 'BIG';
    const big = file('big-lesson.json', raw(lesson, 'BIG', '1e400'));
    refused(['lesson', '--json'], big, /: byte \d+: .*1e400/);
    const r = tcplab(['lesson', '--check', big, 'tests/cli/fixtures/handshake.json']);
    assert.equal(r.status, 2, r.stderr);
    assert.ok(r.stderr.startsWith(`${big}: byte `), r.stderr);
    assert.doesNotMatch(r.stderr, /internal error/);
});

// ---- the command line itself ----------------------------------------------------------------

test('a directory as input: exit 2 "<dir>: cannot read: it is a directory", for run and lesson', () => {
    for (const cmd of ['run', 'lesson']) {
        const r = tcplab([cmd, 'tests']);
        assert.equal(r.status, 2, `${cmd}: ${r.stderr}`);
        assert.equal(r.stderr, 'tests: cannot read: it is a directory (expected a file)\n');
    }
});

test('a missing file: the same wording from run and lesson', () => {
    const missing = join(dir, 'no-such-file.json');
    for (const cmd of ['run', 'lesson']) {
        const r = tcplab([cmd, missing]);
        assert.equal(r.status, 2);
        assert.equal(r.stderr, `${missing}: cannot read: no such file or directory\n`, cmd);
    }
});

test('"-" reads the scenario from standard input, and names it <stdin> in messages', () => {
    const text = readFileSync(join(repoRoot, 'tests/cli/fixtures/handshake.json'), 'utf8');
    const fromFile = tcplab(['run', '--json', 'tests/cli/fixtures/handshake.json']);
    const fromStdin = tcplab(['run', '--json', '-'], { input: text });
    assert.equal(fromStdin.status, 0, fromStdin.stderr);
    assert.equal(fromStdin.stdout, fromFile.stdout);
    const bad = tcplab(['run', '-'], { input: '{"tcplab": 1, "hosts": 3}' });
    assert.equal(bad.status, 2);
    assert.equal(bad.stderr, '<stdin>: /hosts: expected an object\n');
});

test('bench: --n in exponent form or with trailing characters is refused, naming the option', () => {
    for (const n of ['1e3', '12abc', '-5', '', ' 7', '0', '99999999999999999999']) {
        const r = tcplab(['bench', 'churn', '--n', n]);
        assert.equal(r.status, 2, `--n ${JSON.stringify(n)}: exit ${r.status}, stdout:\n${r.stdout}`);
        assert.equal(r.stdout, '');
        assert.match(r.stderr, /^tcplab bench churn: --n: expected a whole number from 1 to 10000000/);
    }
    const ok = tcplab(['bench', 'churn', '--n', '20', '--json']);
    assert.equal(ok.status, 0, ok.stderr);
    assert.equal(JSON.parse(ok.stdout).n, 20);
});
