// The native command line as a user meets it: help, the ladder, the JSON trace (checked against
// core/schema/trace.schema.json), and clear errors with exit status 2 for bad input.
// Also checks every scenario and lesson in the repository against core/schema/scenario.schema.json.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const cli = process.env.TCPLAB_CLI ?? join(repoRoot, 'build/native/cli/tcplab');
const fixture = (name) => `tests/cli/fixtures/${name}`;

// Ajv comes from the web app's devDependencies (one npm install for the whole repository).
const webRequire = createRequire(new URL('../../web/package.json', import.meta.url));
function loadAjv() {
    let Ajv2020;
    let addFormats;
    try {
        Ajv2020 = webRequire('ajv/dist/2020').default;
        addFormats = webRequire('ajv-formats').default;
    } catch (e) {
        throw new Error(`ajv and ajv-formats are needed from web/node_modules (run npm ci in web/): ${e.message}`);
    }
    const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false });
    addFormats(ajv);
    return ajv;
}
const readJson = (rel) => JSON.parse(readFileSync(join(repoRoot, rel), 'utf8'));
let validators;
function schemas() {
    if (!validators) {
        const ajv = loadAjv();
        validators = {
            scenario: ajv.compile(readJson('core/schema/scenario.schema.json')),
            trace: ajv.compile(readJson('core/schema/trace.schema.json')),
            lesson: ajv.compile(readJson('lessons/schema.json')),
        };
    }
    return validators;
}
function describeErrors(errors) {
    return (errors ?? [])
        .slice(0, 10)
        .map((e) => `  ${e.instancePath || '/'}: ${e.message} ${JSON.stringify(e.params)}`)
        .join('\n');
}

function tcplab(...args) {
    assert.ok(existsSync(cli), `${cli} is missing: build it with \`cmake --workflow --preset native\``);
    const r = spawnSync(cli, args, { cwd: repoRoot, encoding: 'utf8', maxBuffer: 1 << 30 });
    if (r.error) throw r.error;
    return r;
}

function jsonFiles(dir) {
    const abs = join(repoRoot, dir);
    if (!existsSync(abs)) return [];
    return readdirSync(abs)
        .filter((f) => f.endsWith('.json'))
        .sort()
        .map((f) => relative(repoRoot, join(abs, f)));
}
// A lesson file has a top-level "tcplab_lesson" member; lessons/ also holds an index and
// a schema.
const isLesson = (file) => {
    try {
        return 'tcplab_lesson' in JSON.parse(readFileSync(join(repoRoot, file), 'utf8'));
    } catch {
        return true; // unreadable JSON: let the test report it
    }
};
const scenarioFiles = jsonFiles('tests/scenarios');
const lessonFiles = jsonFiles('lessons').filter(isLesson);

test('there is something to check: the lessons and the example scenarios', () => {
    assert.ok(lessonFiles.length >= 20, `only ${lessonFiles.length} lessons in lessons/`);
    assert.ok(scenarioFiles.length >= 1, 'no scenario in tests/scenarios/');
});

// Invariants the schema cannot express: time order, and segment ids that refer to sent segments.
function checkTraceInvariants(trace, file) {
    let last = 0;
    const sent = new Set();
    trace.events.forEach((e, i) => {
        const at = `${file}: /events/${i}`;
        assert.ok(e.t_us >= last, `${at}: t_us ${e.t_us} goes back in time (previous ${last})`);
        last = e.t_us;
        if (e.kind === 'send') {
            assert.ok(!sent.has(e.seg.id), `${at}: segment id ${e.seg.id} sent twice`);
            sent.add(e.seg.id);
        } else if ('seg_id' in e) {
            assert.ok(sent.has(e.seg_id), `${at}: ${e.kind} of segment ${e.seg_id}, which was never sent`);
        }
        const m = /^seg:(\d+)$/.exec(e.cause ?? '');
        if (m) assert.ok(sent.has(Number(m[1])), `${at}: cause ${e.cause} names an unsent segment`);
    });
    if ('end_us' in trace) assert.ok(trace.end_us >= last, `${file}: end_us is before the last event`);
}

function runJson(file) {
    const r = tcplab('run', '--json', file);
    assert.equal(r.status, 0, `tcplab run --json ${file} exited ${r.status}:\n${r.stderr}`);
    const trace = JSON.parse(r.stdout);
    const { trace: validate } = schemas();
    assert.ok(validate(trace), `${file}: trace does not match trace.schema.json:\n${describeErrors(validate.errors)}`);
    checkTraceInvariants(trace, file);
    return trace;
}

// ---- the command ------------------------------------------------------------------------------

test('tcplab --help exits 0 and explains run and --json', () => {
    const r = tcplab('--help');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /\brun\b/);
    assert.match(r.stdout, /--json/);
});

test('tcplab run FILE prints a ladder diagram of the exchange', () => {
    const r = tcplab('run', fixture('handshake.json'));
    assert.equal(r.status, 0, r.stderr);
    // Both endpoints head the ladder, and the handshake's segments appear on it.
    assert.match(r.stdout, /client|10\.0\.0\.1/);
    assert.match(r.stdout, /server|10\.0\.0\.2/);
    assert.match(r.stdout, /\bSYN\b/);
    assert.match(r.stdout, /\bFIN\b/);
    assert.ok(r.stdout.split('\n').length > 6, `a ladder has one line per step:\n${r.stdout}`);
});

test('tcplab run --json FILE prints a trace that matches trace.schema.json', () => {
    const trace = runJson(fixture('handshake.json'));
    assert.equal(trace.title, '三次握手与四次挥手 / Handshake and close');
    assert.deepEqual(Object.keys(trace.hosts).sort(), ['client', 'server']);
    const kinds = new Set(trace.events.map((e) => e.kind));
    for (const k of ['call', 'return', 'send', 'deliver', 'state']) assert.ok(kinds.has(k), `no "${k}" event`);
    const first = trace.events.find((e) => e.kind === 'send');
    assert.deepEqual(first.seg.flags, ['SYN']);
});

test('tcplab run --json gives the same bytes on every run', () => {
    const a = tcplab('run', '--json', fixture('handshake.json'));
    const b = tcplab('run', '--json', fixture('handshake.json'));
    assert.equal(a.status, 0, a.stderr);
    assert.equal(a.stdout, b.stdout);
});

test('malformed JSON: exit 2, the file name and the byte offset on stderr', () => {
    const file = fixture('malformed.json');
    const r = tcplab('run', file);
    assert.equal(r.status, 2, `exit status; stderr:\n${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.ok(r.stderr.includes(file), `stderr names ${file}:\n${r.stderr}`);
    // The stray "}" after the trailing comma is at offset 68 (byte 69 counting from 1).
    assert.match(r.stderr, /\b(68|69)\b/, `stderr gives the byte offset:\n${r.stderr}`);
});

test('a wrong field: exit 2 and "<file>: <JSON pointer>: <what was expected>" on stderr', () => {
    const file = fixture('wrong-field.json');
    const r = tcplab('run', '--json', file);
    assert.equal(r.status, 2, `exit status; stderr:\n${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /(^|\s)tests\/cli\/fixtures\/wrong-field\.json: \/hosts\/client\/ip: \S/m);
});

test('a missing file: exit 2 and the file name on stderr', () => {
    const file = 'tests/cli/fixtures/no-such-file.json';
    const r = tcplab('run', file);
    assert.equal(r.status, 2, `exit status; stderr:\n${r.stderr}`);
    assert.ok(r.stderr.includes(file), r.stderr);
});

test('an unknown option: exit 2 and the option named on stderr', () => {
    const r = tcplab('run', '--no-such-option', fixture('handshake.json'));
    assert.equal(r.status, 2, `exit status; stderr:\n${r.stderr}`);
    assert.ok(r.stderr.includes('--no-such-option'), r.stderr);
});

// ---- the schemas --------------------------------------------------------------------------

test('the scenario schema rejects what the loader rejects, at the same JSON pointer', () => {
    const { scenario } = schemas();
    assert.ok(scenario(readJson(fixture('handshake.json'))), describeErrors(scenario.errors));
    const rejected = (mutate) => {
        const doc = readJson(fixture('handshake.json'));
        mutate(doc);
        assert.equal(scenario(doc), false, 'the schema accepted it');
        return scenario.errors.map((e) => e.instancePath);
    };
    assert.ok(rejected((d) => (d.hosts.client.ip = 42)).includes('/hosts/client/ip'));
    assert.ok(rejected((d) => (d.apps[0].steps[0].port = 80)).includes('/apps/0/steps/0'));
    assert.ok(rejected((d) => (d.apps[0].steps[1].call = 'bnid')).includes('/apps/0/steps/1/call'));
    assert.ok(rejected((d) => (d.hosts.server.sysctl.tcp_fin_timeot = 3)).includes('/hosts/server/sysctl'));
    assert.ok(rejected((d) => (d.faults = [{ delay: { from: 'client' } }])).includes('/faults/0/delay'));
    assert.ok(rejected((d) => (d.faults = [{ drop: { from: 'client', flags: 'SYNACK' } }])).includes('/faults/0/drop/flags'));
    // And the loader agrees with the schema on a wrong field: see the wrong-field test above.
    assert.ok(rejected((d) => Object.assign(d, readJson(fixture('wrong-field.json')))).includes('/hosts/client/ip'));
});

for (const file of scenarioFiles) {
    test(`scenario matches scenario.schema.json and its trace trace.schema.json: ${file}`, () => {
        const { scenario } = schemas();
        assert.ok(scenario(readJson(file)), `${file}:\n${describeErrors(scenario.errors)}`);
        runJson(file);
    });
}

// A lesson's scenario may hold {"$param": name} placeholders (docs/LESSONS.md); the schema
// describes the scenario that runs, so put in each parameter's default first.
function withDefaults(value, params, file) {
    if (Array.isArray(value)) return value.map((v) => withDefaults(v, params, file));
    if (value === null || typeof value !== 'object') return value;
    if ('$param' in value) {
        assert.ok(params?.[value.$param], `${file}: unknown parameter ${JSON.stringify(value.$param)}`);
        return params[value.$param].default;
    }
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withDefaults(v, params, file)]));
}

for (const file of lessonFiles) {
    test(`lesson's scenario matches scenario.schema.json and its trace trace.schema.json: ${file}`, () => {
        const { scenario } = schemas();
        const lesson = readJson(file);
        assert.ok(lesson.scenario, `${file}: no "scenario" member`);
        const resolved = withDefaults(lesson.scenario, lesson.params, file);
        assert.ok(scenario(resolved), `${file} /scenario:\n${describeErrors(scenario.errors)}`);
        runJson(file);
    });
}

for (const file of lessonFiles) {
    test(`lesson matches lessons/schema.json: ${file}`, () => {
        const { lesson } = schemas();
        assert.ok(lesson(readJson(file)), `${file}:\n${describeErrors(lesson.errors)}`);
    });
}

test('tcplab lesson prints each step narration at its place in the ladder, and each quiz with its computed answer', () => {
    const r = tcplab('lesson', '--lang', 'both', 'lessons/handshake-close.json');
    assert.equal(r.status, 0, r.stderr);
    const lesson = readJson('lessons/handshake-close.json');
    const steps = r.stdout.split('\n').filter((l) => /^ {2}== step \d+\/\d+/.test(l));
    assert.equal(steps.length, lesson.steps.length);
    const quizzes = r.stdout.split('\n').filter((l) => l.includes('?? quiz "'));
    assert.equal(quizzes.length, lesson.quizzes.length);
    // Each quiz is printed before the step it stops, with the engine's answer.
    const resolved = JSON.parse(tcplab('lesson', '--json', 'lessons/handshake-close.json').stdout);
    for (const q of resolved.quizzes) {
        const at = r.stdout.indexOf(`?? quiz "${q.id}"`);
        const stepAt = r.stdout.indexOf(`== step ${q.step + 1}/`);
        assert.ok(at >= 0 && at < stepAt, `quiz ${q.id} comes before step ${q.step + 1}`);
        if (q.answer.value !== undefined && typeof q.answer.value !== 'object')
            assert.ok(r.stdout.slice(at, stepAt).includes(`answer: ${q.answer.value}`), `quiz ${q.id}'s answer is printed`);
    }
    assert.ok(r.stdout.includes(lesson.steps[0].text.en.slice(0, 20)));
    assert.ok(r.stdout.includes(lesson.steps[0].text['zh-CN'].slice(0, 10)));
});

test('tcplab lesson --check resolves and lints every lesson; a bad lesson is named with its field', () => {
    const all = tcplab('lesson', '--check', ...lessonFiles);
    assert.equal(all.status, 0, all.stderr);
    assert.equal(all.stdout.trim().split('\n').length, lessonFiles.length);
    const bad = JSON.parse(readFileSync(join(repoRoot, 'lessons/handshake-close.json'), 'utf8'));
    bad.steps[0].text.en = 'It takes 100 ms.';
    const dir = mkdtempSync(join(tmpdir(), 'tcplab-lesson-'));
    const file = join(dir, 'handshake-close.json');
    writeFileSync(file, JSON.stringify(bad));
    const r = tcplab('lesson', '--check', file);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /handshake-close\.json: \/steps\/0\/text\/en: the number "100" is written into the text/);
    bad.quizzes[0].before = bad.steps[0].id;
    writeFileSync(file, JSON.stringify(bad));
    const r2 = tcplab('lesson', '--check', file);
    assert.equal(r2.status, 2);
    assert.match(r2.stderr, /\/quizzes\/0\/before: expected a step after the first one/);
    assert.equal(tcplab('lesson', '--lang', 'fr', 'lessons/handshake-close.json').status, 2);
    assert.equal(tcplab('lesson', '--seed', '12abc', 'lessons/handshake-close.json').status, 2);
});

test('the ASCII ladder never cuts a segment label short: every payload length is printed whole', () => {
    for (const file of lessonFiles) {
        const trace = JSON.parse(tcplab('run', '--json', file).stdout);
        const ladder = tcplab('run', file).stdout;
        const lens = new Set(trace.events.filter((e) => e.kind === 'send' && e.seg.len > 0).map((e) => e.seg.len));
        for (const n of lens) assert.match(ladder, new RegExp(`len=${n}(?![0-9])`), `${file}: len=${n} is missing from the ladder`);
    }
});
