/// The platform admin console's pages.
extension ConsoleTemplates {
    static let adminLogin = """
        <form class="card" method="post" action="/admin/console/login" style="max-width: 420px; margin: 3rem auto;">
        <h1>Platform admin</h1>
        {{#error}}<p class="error" role="alert">{{error}}</p>{{/error}}
        <input type="hidden" name="csrf" value="{{csrf}}">
        <label for="token">Admin token</label><input id="token" name="token" type="password" autocomplete="current-password" required>
        <button class="primary" type="submit">Sign in</button>
        </form>
        """

    static let adminTenants = """
        <h1>Tenants</h1>
        {{#message}}<p class="ok" role="status">{{message}}</p>{{/message}}
        <table>
        <thead><tr><th scope="col">Tenant</th><th scope="col">Domains</th><th scope="col">Status</th><th scope="col">Health</th><th scope="col">Plugins</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
        <tbody>
        {{#tenants}}<tr id="tenant-{{slug}}"><td><strong>{{name}}</strong><div class="meta">{{slug}}</div></td><td>{{domains}}</td><td>{{status}}</td>
        <td class="{{#healthy}}ok{{/healthy}}{{^healthy}}error{{/healthy}}">{{health}}</td><td>{{plugins}}</td>
        <td>{{#active}}<form method="post" action="/admin/console/tenants/{{slug}}/disable"><input type="hidden" name="csrf" value="{{csrf}}"><button class="link" aria-label="Disable {{name}}">Disable</button></form>{{/active}}</td></tr>{{/tenants}}
        {{^tenants}}<tr><td colspan="6">No tenants yet.</td></tr>{{/tenants}}
        </tbody>
        </table>
        <p><a class="button" href="/admin/console/onboard">Onboard a tenant</a></p>
        """

    static let adminOnboard = """
        <h1>Onboard a tenant</h1>
        {{#failed}}<p class="error" role="alert">The manifest is not valid; the problems are shown beside their lines.</p>
        <table class="manifest-errors" aria-label="Manifest with its problems"><tbody>
        {{#lines}}<tr{{#flagged}} class="priority-urgent"{{/flagged}}><td class="meta">{{number}}</td><td><code>{{text}}</code>{{#issues}}<div class="error">⚠ {{message}}</div>{{/issues}}</td></tr>{{/lines}}
        </tbody></table>{{/failed}}
        <form class="card" method="post" action="/admin/console/onboard">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <label for="manifest">Tenant manifest (YAML)</label>
        <textarea id="manifest" name="manifest" rows="18" spellcheck="false" required>{{manifest}}</textarea>
        <button class="primary" type="submit">Validate and onboard</button>
        </form>
        """

    static let adminPlugins = """
        <h1>Plugins</h1>
        <table>
        <thead><tr><th scope="col">Plugin</th><th scope="col">Version</th><th scope="col">ABI</th><th scope="col">Capabilities</th><th scope="col">Routes</th><th scope="col">File</th></tr></thead>
        <tbody>{{#plugins}}<tr><td>{{id}}</td><td>{{version}}</td><td>{{abi}}</td><td>{{capabilities}}</td><td>{{routes}}</td><td class="meta">{{file}}</td></tr>{{/plugins}}</tbody>
        </table>
        {{#refused}}<p class="error">Refused: {{path}}: {{error}}</p>{{/refused}}
        """
}
