/// The console's contact pages.
extension ConsoleTemplates {
    static let contacts = """
        <h1>Contacts</h1>
        <form method="get" action="/console/contacts" role="search"><label for="q">Search by name, phone or email</label>
        <input id="q" name="q" value="{{q}}" type="search"></form>
        <table>
        <thead><tr><th scope="col">Name</th><th scope="col">Phone</th><th scope="col">Email</th><th scope="col">Labels</th><th scope="col">Updated</th></tr></thead>
        <tbody>
        {{#rows}}<tr><td><a href="/console/contacts/{{id}}">{{name}}</a></td><td>{{phone}}</td><td>{{email}}</td><td>{{labels}}</td><td>{{updated}}</td></tr>{{/rows}}
        {{^rows}}<tr><td colspan="5">No contacts found.</td></tr>{{/rows}}
        </tbody>
        </table>
        """

    static let contact = """
        <p><a href="/console/contacts">← Contacts</a></p>
        <h1>{{contact.name}} <span class="meta">{{contact.phone}} {{contact.email}}</span></h1>
        <div class="grid">
        <form class="card" method="post" action="/console/contacts/{{contact.id}}">
        <h2>Attributes</h2>
        {{#failed}}<p class="error" role="alert">Some values do not fit their attribute's type; nothing was saved.</p>{{/failed}}
        <input type="hidden" name="csrf" value="{{csrf}}">
        {{#fields}}<label for="attr-{{name}}">{{name}} <span class="meta">({{kind}})</span></label>
        {{#is_boolean}}<select id="attr-{{name}}" name="attr.{{name}}"{{#error}} aria-invalid="true" aria-describedby="err-{{name}}"{{/error}}>{{#options}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{value}}</option>{{/options}}</select>{{/is_boolean}}
        {{^is_boolean}}<input id="attr-{{name}}" name="attr.{{name}}" type="{{input_type}}"{{#is_number}} step="any"{{/is_number}}{{#is_date}} placeholder="YYYY-MM-DD"{{/is_date}} value="{{value}}"{{#error}} aria-invalid="true" aria-describedby="err-{{name}}"{{/error}}>{{/is_boolean}}
        {{#error}}<div class="error" id="err-{{name}}">{{error}}</div>{{/error}}{{/fields}}
        {{^fields}}<p class="meta">This tenant declares no contact attributes.</p>{{/fields}}
        {{#has_undeclared}}<h3>Other attributes</h3><dl>{{#undeclared}}<dt>{{name}}</dt><dd>{{value}}</dd>{{/undeclared}}</dl>{{/has_undeclared}}
        {{#can_edit}}<button class="primary" type="submit">Save attributes</button>{{/can_edit}}
        </form>
        <div class="card">
        <h2>Labels</h2>
        <ul>{{#labels}}<li>{{.}} {{#can_label}}<form method="post" action="/console/contacts/{{contact.id}}/labels" style="display:inline"><input type="hidden" name="csrf" value="{{csrf}}"><input type="hidden" name="remove" value="{{.}}"><button class="link" aria-label="Remove label {{.}}">remove</button></form>{{/can_label}}</li>{{/labels}}</ul>
        {{#can_label}}<form method="post" action="/console/contacts/{{contact.id}}/labels"><input type="hidden" name="csrf" value="{{csrf}}">
        <label for="new-label">Add a label</label><input id="new-label" name="label" pattern="[a-z0-9_-]+"><button class="primary">Add</button></form>{{/can_label}}
        <h2>Conversations</h2>
        <ul>{{#conversations}}<li><a href="/console/conversations/{{id}}">{{channel}} · {{status}}</a> <span class="meta">{{last}}</span></li>{{/conversations}}</ul>
        {{^conversations}}<p class="meta">No conversations.</p>{{/conversations}}
        </div>
        </div>
        """
}
