// No URL: same origin as the page, so an https page talks wss/https only (no mixed content).
// WebSocket first: behind TCP/SSL listeners there is no stickiness, and long-polling needs every request of a
// session to reach the same instance. tryAllTransports falls back to polling where upgrades cannot pass (CLB
// HTTP/HTTPS listeners).
const socket = io({transports: ['websocket', 'polling'], tryAllTransports: true})

const $ = (id) => document.getElementById(id)
$('page-protocol').textContent = location.protocol.replace(':', '')

function setState(state, text) {
  $('state').dataset.state = state
  $('state').textContent = text
}

function showTransport() {
  const name = socket.io.engine?.transport?.name ?? '–'
  $('transport').textContent = name
  setState('connected', `connected via ${name}`)
}

socket.on('connect', () => {
  showTransport()
  socket.io.engine.on('upgrade', showTransport)
  socket.emit('whoami', (me) => {
    $('whoami').textContent = `${me.clientAddress} over ${me.protocol}`
    $('instance').textContent = `${me.instance}${me.recovered ? ' (session recovered)' : ''}`
  })
})
socket.on('disconnect', (reason) => setState('disconnected', `disconnected (${reason})`))
socket.on('connect_error', (err) => {
  setState('error', `connection error: ${err.message}`)
  // If WebSocket cannot get through at all, retry with the classic polling-then-upgrade order.
  socket.io.opts.transports = ['polling', 'websocket']
})

setInterval(() => {
  if (!socket.connected) return
  const sent = performance.now()
  socket.timeout(5000).emit('echo', sent, (err) => {
    if (!err) $('rtt').textContent = `${(performance.now() - sent).toFixed(1)} ms`
  })
}, 2000)

socket.on('chat', (msg) => {
  const li = document.createElement('li')
  li.textContent = `${msg.from}: ${msg.text}`
  if (msg.instance) li.title = `sent through ${msg.instance}`
  $('messages').prepend(li)
})

$('chat-form').addEventListener('submit', (event) => {
  event.preventDefault()
  const text = $('message').value.trim()
  if (!text) return
  socket.emit('chat', text)
  $('message').value = ''
})
