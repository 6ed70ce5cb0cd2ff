namespace Engine.Cli.Dashboard;

/// <summary>
/// The dashboard page: plain HTML and script (no library fetched at run time), listening to
/// <c>/events</c>. Curves are drawn on canvases; every epoch's numbers are also kept in the list
/// <c>#epochs</c> (one <c>li</c> per epoch with <c>data-</c> attributes), which is what the
/// browser test reads.
/// </summary>
internal static class DashboardPage
{
    public const string Html = """
<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>engine train</title>
<style>
body { font-family: "DejaVu Sans", sans-serif; margin: 16px; color: #222; }
#status span { margin-right: 18px; }
.row { display: flex; gap: 16px; flex-wrap: wrap; }
canvas { border: 1px solid #ccc; }
#confusion td { width: 34px; height: 22px; text-align: center; font-size: 11px; }
#epochs { font-size: 12px; }
#filters { image-rendering: pixelated; min-width: 200px; }
</style></head>
<body>
<h2>engine train</h2>
<div id="status"><span id="epoch">epoch –</span><span id="lr">lr –</span><span id="speed">– images/s</span><span id="eta">ETA –</span><span id="state">waiting</span></div>
<div class="row">
 <div><h3>loss</h3><canvas id="loss" width="440" height="240"></canvas></div>
 <div><h3>accuracy</h3><canvas id="accuracy" width="440" height="240"></canvas></div>
</div>
<div class="row">
 <div><h3>first-layer filters</h3><img id="filters" alt="no filters yet"></div>
 <div><h3>confusion matrix (test)</h3><table id="confusion"></table></div>
</div>
<h3>epochs</h3><ol id="epochs"></ol>
<script>
const epochs = [], steps = [];
function draw(id, series) {
  const c = document.getElementById(id), g = c.getContext('2d');
  g.clearRect(0, 0, c.width, c.height);
  const all = series.flatMap(s => s.points.map(p => p[1])).filter(v => v !== null);
  const xs = series.flatMap(s => s.points.map(p => p[0]));
  if (all.length === 0) return;
  const lo = Math.min(0, ...all), hi = Math.max(...all) || 1, xmax = Math.max(1, ...xs);
  const X = x => 40 + (c.width - 60) * x / xmax, Y = y => c.height - 25 - (c.height - 45) * (y - lo) / (hi - lo);
  g.strokeStyle = '#999'; g.beginPath(); g.moveTo(40, 10); g.lineTo(40, c.height - 25); g.lineTo(c.width - 10, c.height - 25); g.stroke();
  g.fillStyle = '#444'; g.font = '11px sans-serif'; g.fillText(hi.toFixed(3), 2, 14); g.fillText(lo.toFixed(3), 2, c.height - 27); g.fillText('epoch ' + xmax.toFixed(1), c.width - 70, c.height - 8);
  series.forEach((s, k) => {
    g.strokeStyle = s.colour; g.fillStyle = s.colour; g.beginPath();
    s.points.filter(p => p[1] !== null).forEach((p, i) => { i ? g.lineTo(X(p[0]), Y(p[1])) : g.moveTo(X(p[0]), Y(p[1])); });
    g.stroke(); g.fillText(s.name, 50 + 110 * k, 22);
  });
}
function redraw() {
  draw('loss', [
    { name: 'train (steps)', colour: '#9ecae1', points: steps.map(s => [s.epoch - 1 + s.step / s.steps, s.loss]) },
    { name: 'train (epochs)', colour: '#08519c', points: epochs.map(e => [e.epoch, e.trainLoss]) },
    { name: 'validation', colour: '#d94801', points: epochs.map(e => [e.epoch, e.validationLoss]) }]);
  draw('accuracy', [
    { name: 'train', colour: '#08519c', points: epochs.map(e => [e.epoch, e.trainAccuracy]) },
    { name: 'validation', colour: '#d94801', points: epochs.map(e => [e.epoch, e.validationAccuracy]) },
    { name: 'test', colour: '#238b45', points: epochs.map(e => [e.epoch, e.testAccuracy]) }]);
}
function confusion(m) {
  const t = document.getElementById('confusion'); t.innerHTML = '';
  const head = t.insertRow(); head.insertCell().textContent = 'true \\ pred';
  m.classes.forEach(c => head.insertCell().textContent = c);
  m.matrix.forEach((row, a) => {
    const r = t.insertRow(), total = row.reduce((x, y) => x + y, 0) || 1;
    r.insertCell().textContent = m.classes[a];
    row.forEach(n => { const cell = r.insertCell(), f = n / total; cell.textContent = n;
      cell.style.background = `rgba(8, 81, 156, ${f.toFixed(3)})`; cell.style.color = f > 0.5 ? 'white' : 'black'; });
  });
  t.dataset.epoch = m.epoch;
}
const source = new EventSource('events');
source.onopen = () => document.getElementById('state').textContent = 'live';
source.onerror = () => document.getElementById('state').textContent = 'disconnected (run finished?)';
source.onmessage = message => {
  const e = JSON.parse(message.data);
  if (e.type === 'step') {
    steps.push(e);
    document.getElementById('epoch').textContent = `epoch ${e.epoch}/${e.epochs} step ${e.step}/${e.steps}`;
    document.getElementById('lr').textContent = `lr ${e.lr === null ? '–' : e.lr.toPrecision(4)}`;
    document.getElementById('speed').textContent = `${e.imagesPerSecond === null ? '–' : Math.round(e.imagesPerSecond)} images/s`;
    document.getElementById('eta').textContent = `ETA ${e.etaSeconds === null ? '–' : Math.round(e.etaSeconds) + ' s'}`;
  } else if (e.type === 'epoch') {
    epochs.push(e);
    const li = document.createElement('li');
    li.dataset.epoch = e.epoch; li.dataset.trainLoss = e.trainLoss; li.dataset.trainAccuracy = e.trainAccuracy; li.dataset.testAccuracy = e.testAccuracy;
    li.textContent = `epoch ${e.epoch}: loss ${e.trainLoss.toFixed(4)}, train acc ${e.trainAccuracy.toFixed(4)}, test acc ${e.testAccuracy === null ? '–' : e.testAccuracy.toFixed(4)}`;
    document.getElementById('epochs').appendChild(li);
  } else if (e.type === 'filters') {
    document.getElementById('filters').src = e.url;
  } else if (e.type === 'confusion') {
    confusion(e);
  } else if (e.type === 'end') {
    source.close();
    document.getElementById('state').textContent = 'run finished';
  }
  redraw();
};
</script>
</body></html>
""";
}
