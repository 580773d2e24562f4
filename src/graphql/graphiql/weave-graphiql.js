// Starts GraphiQL on Weave's /graphql: queries and mutations over HTTP, subscriptions over a
// WebSocket (graphql-transport-ws). A file of its own, so that the page's Content-Security-Policy
// needs no inline script.
(function () {
  'use strict';
  var http = new URL('/graphql', window.location.origin);
  var socket = new URL('/graphql', window.location.origin);
  socket.protocol = http.protocol === 'https:' ? 'wss:' : 'ws:';
  var fetcher = GraphiQL.createFetcher({ url: http.toString(), subscriptionUrl: socket.toString() });
  var root = ReactDOM.createRoot(document.getElementById('graphiql'));
  root.render(React.createElement(GraphiQL, { fetcher: fetcher, defaultEditorToolsVisibility: true }));
})();
