-- the title stays in the first heading; no Title paragraph before it
function Meta(m) m.title = nil; return m end
