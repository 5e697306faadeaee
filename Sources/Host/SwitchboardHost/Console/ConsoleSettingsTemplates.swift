/// The tenant admin's settings page.
extension ConsoleTemplates {
    static let settings = """
        <h1>Settings</h1>
        {{#notice}}<p class="ok" role="status">{{notice}}</p>{{/notice}}
        {{#errors}}<p class="error" role="alert">{{.}}</p>{{/errors}}
        {{#secret}}<div class="card" role="status"><h2>New token “{{name}}” ({{role}})</h2>
        <p>Copy the secret now: it is shown this once and stored only as a hash.</p><p class="secret" id="new-token">{{secret}}</p></div>{{/secret}}

        <section class="card" aria-labelledby="users-heading"><h2 id="users-heading">Users and roles</h2>
        <table><thead><tr><th scope="col">Name</th><th scope="col">Email</th><th scope="col">Role</th></tr></thead><tbody>
        {{#users}}<tr><td>{{name}}</td><td>{{email}}</td><td>{{#self}}{{role}} (you){{/self}}{{^self}}<form method="post" action="/console/settings/users/{{id}}/role">
        <input type="hidden" name="csrf" value="{{csrf}}"><label class="visually-hidden" for="role-{{id}}">Role of {{email}}</label>
        <select id="role-{{id}}" name="role" data-autosubmit>{{#roles}}<option value="{{name}}"{{#selected}} selected{{/selected}}>{{name}}</option>{{/roles}}</select>
        <noscript><button>Change</button></noscript></form>{{/self}}</td></tr>{{/users}}
        </tbody></table>
        <form method="post" action="/console/settings/users"><input type="hidden" name="csrf" value="{{csrf}}"><h3>Add a user</h3>
        <div class="grid"><div><label for="user-email">Email</label><input id="user-email" name="email" type="email" required></div>
        <div><label for="user-name">Name</label><input id="user-name" name="name" required></div>
        <div><label for="user-role">Role</label><select id="user-role" name="role">{{#roles}}<option>{{.}}</option>{{/roles}}</select></div>
        <div><label for="user-password">Password (12+ characters)</label><input id="user-password" name="password" type="password" minlength="12" autocomplete="new-password" required></div></div>
        <button class="primary">Add user</button></form></section>

        <section class="card" aria-labelledby="tokens-heading"><h2 id="tokens-heading">API tokens</h2>
        <table><thead><tr><th scope="col">Name</th><th scope="col">Prefix</th><th scope="col">Role</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead><tbody>
        {{#tokens}}<tr><td>{{name}}</td><td><code>{{prefix}}</code></td><td>{{role}}</td><td>{{created}}</td><td>{{used}}</td>
        <td>{{#revoked}}revoked{{/revoked}}{{^revoked}}<form method="post" action="/console/settings/tokens/{{id}}/revoke"><input type="hidden" name="csrf" value="{{csrf}}"><button class="link" aria-label="Revoke token {{name}}">Revoke</button></form>{{/revoked}}</td></tr>{{/tokens}}
        {{^tokens}}<tr><td colspan="6">No tokens.</td></tr>{{/tokens}}
        </tbody></table>
        <form method="post" action="/console/settings/tokens"><input type="hidden" name="csrf" value="{{csrf}}"><h3>Create a token</h3>
        <div class="grid"><div><label for="token-name">What it is for</label><input id="token-name" name="name" required></div>
        <div><label for="token-role">Role</label><select id="token-role" name="role">{{#roles}}<option>{{.}}</option>{{/roles}}</select></div></div>
        <button class="primary">Create token</button></form></section>

        <section class="card" aria-labelledby="rules-heading"><h2 id="rules-heading">Automation rules</h2>
        <table><thead><tr><th scope="col">Rule</th><th scope="col">Event</th><th scope="col">Conditions</th><th scope="col">Actions</th><th scope="col">Source</th><th scope="col">On</th></tr></thead><tbody>
        {{#rules}}<tr><td>{{name}}</td><td>{{event}}</td><td>{{conditions}}</td><td>{{actions}}</td><td>{{source}}</td>
        <td><form method="post" action="/console/settings/rules/{{id}}"><input type="hidden" name="csrf" value="{{csrf}}">
        {{#active}}<input type="hidden" name="active" value="false"><button class="link" aria-label="Switch off {{name}}">on — switch off</button>{{/active}}
        {{^active}}<input type="hidden" name="active" value="true"><button class="link" aria-label="Switch on {{name}}">off — switch on</button>{{/active}}</form></td></tr>{{/rules}}
        {{^rules}}<tr><td colspan="6">No rules.</td></tr>{{/rules}}
        </tbody></table></section>

        <section class="card" aria-labelledby="templates-heading"><h2 id="templates-heading">Templates</h2>
        <table><thead><tr><th scope="col">Name</th><th scope="col">Language</th><th scope="col">Channel</th><th scope="col">Category</th><th scope="col">Approval</th><th scope="col">Active</th><th scope="col">Used</th></tr></thead><tbody>
        {{#templates}}<tr><td>{{name}}</td><td>{{language}}</td><td>{{channel}}</td><td>{{category}}</td><td>{{approval}}</td><td>{{#active}}yes{{/active}}{{^active}}no{{/active}}</td><td>{{usage}}</td></tr>{{/templates}}
        {{^templates}}<tr><td colspan="7">No templates.</td></tr>{{/templates}}
        </tbody></table></section>

        <section class="card" id="jobs" aria-labelledby="jobs-heading"><h2 id="jobs-heading">Jobs</h2>
        <h3>Dead letters</h3>
        <table><thead><tr><th scope="col">Job</th><th scope="col">Owner</th><th scope="col">Attempts</th><th scope="col">Last error</th><th scope="col">When</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead><tbody>
        {{#dead}}<tr id="job-{{id}}"><td>{{kind}}</td><td>{{plugin}}</td><td>{{attempts}}</td><td>{{error}}</td><td>{{when}}</td>
        <td><form method="post" action="/console/settings/jobs/{{id}}/retry"><input type="hidden" name="csrf" value="{{csrf}}"><button class="link" aria-label="Retry {{kind}}">Retry</button></form></td></tr>{{/dead}}
        {{^dead}}<tr><td colspan="6">No dead jobs.</td></tr>{{/dead}}
        </tbody></table>
        <h3>Next pending</h3>
        <ul>{{#pending}}<li>{{kind}} <span class="meta">({{plugin}}) at {{run_at}}</span></li>{{/pending}}</ul>
        {{^pending}}<p class="meta">Nothing pending.</p>{{/pending}}
        </section>
        """
}
