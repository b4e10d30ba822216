// Starts GraphiQL with the settings the server put in #graphiql-config.
// Kept in a file (not inline) so that the page's Content-Security-Policy can forbid inline scripts.
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("graphiql-config").textContent);
  var fetcher = GraphiQL.createFetcher({ url: config.endpoint });
  var root = ReactDOM.createRoot(document.getElementById("graphiql"));
  root.render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: config.query,
      defaultHeaders: config.headers,
      defaultEditorToolsVisibility: "headers",
      isHeadersEditorEnabled: true,
      // Headers hold bearer tokens: never write them to the browser's localStorage.
      shouldPersistHeaders: false,
    })
  );
})();
