// experiment.test.mjs: the demo page's experiment panel and the significance marks, in headless
// Chromium (Debian's, via playwright-core). The panel runs Markov against most-popular on the demo
// store (its default before anything is trained here) and shows what engine.experiment returns
// for the same models, data and seed on the main thread: the users, each arm's users and clicks,
// the p-values, the A/A rates, and one chart point per ab.p_by_users entry. Then pop and Markov
// are trained in the train-and-compare panel: the results table marks Markov "better than" pop
// (engine.compare's Holm p), and the experiment's default becomes the two models trained here.
// Screenshots: build/screenshots/panel-experiment{,-chart}.png, panel-results-signif.png.
import test from 'node:test';
import assert from 'node:assert/strict';
import { launch, openDemo, shot, texts } from './demo-helpers.mjs';

const num = (s) => Number(s.replace(/[^\d.]/g, ''));

test('experiment panel: the numbers engine.experiment returns, the p-value chart, significance marks after training', async (t) => {
    const b = await launch({ width: 1280, height: 900 });
    t.after(() => b.close());
    const { page } = b;
    await openDemo(page, b.server.url);

    // before any training: Markov against most-popular, trained in the worker when it runs
    assert.equal(await page.inputValue('#exp-a'), 'new:markov');
    assert.equal(await page.inputValue('#exp-b'), 'new:pop');
    await page.click('#exp-run');
    await page.waitForFunction(() => /^Done/.test(document.querySelector('#exp-note').textContent), null, { timeout: 60_000 });
    assert.equal(await page.isVisible('#exp-out'), true);

    // the same experiment on the main thread: the page's demo store, both models trained leave-one-out
    const want = await page.evaluate(() => {
        const { engine, data } = window.wasmrecDemo.state;
        const ds = engine.dataset(data.source.text, { format: 'csv' }); // leave-one-out: without the demo's label
        const ms = ['markov', 'pop'].map((n) => engine.model(n, { seed: 42 }).fitLeaveOneOut(ds));
        const r = engine.experiment(ds, ms[0], ms[1], { seed: 42, click: 'next' });
        for (const m of ms) m.dispose();
        ds.dispose();
        return r;
    });
    const shown = await page.evaluate(() => window.wasmrecDemo.experiment.report);
    assert.deepEqual(shown, want, 'the panel shows the report engine.experiment returns');
    assert.equal(want.users, 5000);
    assert.equal(await page.getAttribute('#exp-out', 'data-users'), String(want.users));
    for (const [i, arm] of want.ab.arms.entries()) {
        const row = page.locator(`#exp-arms-body tr[data-arm="${i}"]`);
        assert.equal(await row.getAttribute('data-model'), arm.model);
        assert.equal(num(await row.locator('[data-col="users"]').textContent()), arm.users);
        assert.equal(num(await row.locator('[data-col="clicks"]').textContent()), arm.clicks);
        assert.equal(await row.locator('[data-col="ctr"] .val').textContent(), `${(100 * arm.ctr).toFixed(1)}%`);
    }
    assert.match(await page.textContent('#exp-tests [data-key="welch_p"]'), /p < 0\.001/);
    assert.equal(await page.getAttribute('#exp-tests [data-key="users_for_80_power"]', 'data-value'), String(want.ab.users_for_80_power));
    assert.match(await page.textContent('#exp-inter [data-key="wins_a"]'), new RegExp(want.interleaving.wins_a.toLocaleString('en')));
    assert.equal(await page.getAttribute('#exp-inter [data-key="users_for_80_power"]', 'data-value'), String(want.interleaving.users_for_80_power));
    for (const k of ['fixed_horizon_rejections', 'peeking_every_100_rejections', 'msprt_every_100_rejections'])
        assert.match(await page.textContent(`#exp-aa [data-key="${k}"]`), new RegExp(`^${(100 * want.aa[k]).toFixed(1)}%`));
    assert.match(await page.textContent('#exp-aa .lesson'), /peeking lesson/i);
    // the chart: one point per p_by_users entry
    assert.equal(want.ab.p_by_users.length, 50);
    assert.equal(await page.getAttribute('#exp-chart', 'data-points'), String(want.ab.p_by_users.length));
    assert.equal(await page.locator('#exp-chart .uplot').count(), 1);
    const drawn = await page.evaluate(() => document.querySelector('#exp-chart .uplot canvas') !== null);
    assert.ok(drawn);
    t.diagnostic(`demo store, markov vs pop, seed 42: CTR ${want.ab.arms.map((a) => `${a.model} ${(100 * a.ctr).toFixed(1)}%`).join(', ')}; ` +
        `Welch p ${want.ab.welch_p}, users for 80% power ${want.ab.users_for_80_power} (interleaving ${want.interleaving.users_for_80_power}); ` +
        `A/A ${want.aa.fixed_horizon_rejections} / ${want.aa.peeking_every_100_rejections} / ${want.aa.msprt_every_100_rejections}`);
    await shot(page, 'panel-experiment', '#experiment');
    await shot(page, 'panel-experiment-chart', '#exp-inter');

    // train pop and Markov in the train-and-compare panel: the table marks which differences are real
    for (const box of await page.locator('#model-picker input[type="checkbox"]').all()) {
        const m = await box.getAttribute('data-model');
        if (await box.isChecked() !== (m === 'pop' || m === 'markov')) await box.click();
    }
    await page.click('#train-start');
    await page.waitForFunction(() => document.querySelectorAll('.run[data-state="done"]').length >= 2, null, { timeout: 90_000 });
    await page.waitForSelector('#results-body tr[data-model="markov"][data-origin="trained"] .sig', { timeout: 90_000 });
    const mark = page.locator('#results-body tr[data-model="markov"][data-origin="trained"] .sig [data-other="pop"]');
    assert.equal(await mark.getAttribute('data-better'), 'true');
    assert.equal(await mark.textContent(), 'Most popular (p < 0.001)');
    assert.match(await page.textContent('#results-body tr[data-model="markov"][data-origin="trained"] .sig'), /^better than .*Most popular \(p < 0\.001\)/);
    const marks = await texts(page, '#results-body .sig > span');
    assert.equal(marks.length, 10, `a mark for each of the 10 pairs of five models (3 pretrained, 2 trained here), told once: ${marks.length}`);
    t.diagnostic(`marks: ${await texts(page, '#results-body .sig').then((l) => l.join(' | '))}`);
    assert.match(await page.textContent('#results-signif'), /Holm/);
    // the same Holm p as engine.compare on the main thread, for Markov against pop
    const holm = await page.evaluate(() => {
        const { engine, data, models } = window.wasmrecDemo.state;
        const rows = [...document.querySelectorAll('#results-body tr')];
        const ms = rows.map((r) => models.find((m) => m.name === r.dataset.model && m.origin === r.dataset.origin).model);
        const ds = engine.dataset(data.source.text, { format: 'csv' });
        const { report } = engine.compare(ds, ms);
        ds.dispose();
        const names = rows.map((r) => r.dataset.model);
        const i = names.indexOf('pop');
        const j = names.indexOf('markov');
        return report.pairs.filter((p) => p.metric === 'NDCG@10').find((p) => [p.a, p.b].sort().join() === ['markov', 'pop'].sort().join() && i >= 0 && j >= 0).holm_p;
    });
    assert.equal(Number(await mark.getAttribute('data-p')), holm);
    await shot(page, 'panel-results-signif', '.results-head');

    // the experiment's default is now the two best models trained here
    const labels = await page.evaluate(() => [document.querySelector('#exp-a'), document.querySelector('#exp-b')].map((s) => s.selectedOptions[0].textContent));
    assert.deepEqual(labels.map((l) => /trained here/.test(l)), [true, true], labels.join(' / '));
    assert.deepEqual(b.problems, [], 'no errors in the console');
    assert.deepEqual(b.foreign(), [], 'every request went to the page origin');
});
